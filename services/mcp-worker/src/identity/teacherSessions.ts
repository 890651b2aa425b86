/**
 * The open sessions of each teacher on this worker: closed together when the
 * teacher is revoked or disabled, and counted for `make teacher-list`.
 */
export interface Closable {
  close(): Promise<void>;
}

export class TeacherSessions {
  private readonly byTeacher = new Map<string, Set<Closable>>();

  add(teacher: string, session: Closable): void {
    let set = this.byTeacher.get(teacher);
    if (!set) this.byTeacher.set(teacher, (set = new Set()));
    set.add(session);
  }

  delete(teacher: string, session: Closable): void {
    const set = this.byTeacher.get(teacher);
    if (!set) return;
    set.delete(session);
    if (set.size === 0) this.byTeacher.delete(teacher);
  }

  /** Closes every open session of `teacher`; resolves with how many there were. */
  async closeAll(teacher: string): Promise<number> {
    const sessions = [...(this.byTeacher.get(teacher) ?? [])];
    await Promise.allSettled(sessions.map((s) => s.close()));
    return sessions.length;
  }

  counts(): Map<string, number> {
    return new Map([...this.byTeacher].map(([t, s]) => [t, s.size]));
  }
}
