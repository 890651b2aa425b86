/**
 * The sim's mdl_event rows: the calendar events Moodle's activity modules
 * write for their dates. Both calendar functions read these rows
 * (core_calendar_get_calendar_events lists them, the action-event vault
 * behind core_calendar_get_action_events_by_timesort filters them), so one
 * activity date has one event id in both answers.
 *
 * What the modules write (Moodle 4.5):
 * - assign (assign::update_calendar): "<name> is due" (eventtype due) when
 *   duedate is set and "<name> is due to be graded" (gradingdue) when
 *   gradingduedate is set; userid 0, groupid 0, the intro as description;
 * - quiz (quiz_update_events, no overrides): "<name> opens" (open) and
 *   "<name> closes" (close) as separate events of duration 0, userid 0.
 * `visible` is the course module's visibility (instance_is_visible).
 */
import type { Dataset } from './types.js';

export type ModuleEventType = 'due' | 'gradingdue' | 'open' | 'close';

export interface CalendarEvent {
  id: number;
  name: string;
  description: string;
  /** FORMAT_HTML. */
  format: 1;
  courseid: number;
  categoryid: 0;
  groupid: 0;
  userid: 0;
  repeatid: 0;
  modulename: 'assign' | 'quiz';
  instance: number;
  /** Not an mdl_event column: the activity's course-module id, for URLs and visibility. */
  cmid: number;
  eventtype: ModuleEventType;
  timestart: number;
  timeduration: 0;
  visible: 0 | 1;
  uuid: '';
  sequence: 1;
  timemodified: number;
  subscriptionid: null;
}

/**
 * Event ids: fixed by instance and event type, so they stay the same on every
 * run. Quiz events start at 5000, above every assignment event.
 */
const eventIds = {
  assign: (assignid: number, type: 'due' | 'gradingdue'): number => assignid * 10 + (type === 'due' ? 1 : 2),
  quiz: (quizid: number, type: 'open' | 'close'): number => 5000 + quizid * 10 + (type === 'close' ? 1 : 2),
};

/** The event rows of the data set, ordered by id. Dates of 0 ("not set") have no event, as in Moodle. */
export function buildModuleEvents(ds: Dataset): CalendarEvent[] {
  const visible = (cmid: number): 0 | 1 => ds.cms.find((c) => c.id === cmid)?.visible ?? 1;
  const row = (
    r: Pick<CalendarEvent, 'id' | 'name' | 'description' | 'courseid' | 'modulename' | 'instance' | 'cmid' | 'eventtype' | 'timestart' | 'timemodified'>,
  ): CalendarEvent => ({
    format: 1,
    categoryid: 0,
    groupid: 0,
    userid: 0,
    repeatid: 0,
    timeduration: 0,
    visible: visible(r.cmid),
    uuid: '',
    sequence: 1,
    subscriptionid: null,
    ...r,
  });
  const events: CalendarEvent[] = [];
  for (const a of ds.assigns) {
    const base = { description: a.intro, courseid: a.course, modulename: 'assign' as const, instance: a.id, cmid: a.cmid, timemodified: a.timemodified };
    if (a.duedate > 0) events.push(row({ ...base, id: eventIds.assign(a.id, 'due'), name: `${a.name} is due`, eventtype: 'due', timestart: a.duedate }));
    if (a.gradingduedate > 0)
      events.push(
        row({ ...base, id: eventIds.assign(a.id, 'gradingdue'), name: `${a.name} is due to be graded`, eventtype: 'gradingdue', timestart: a.gradingduedate }),
      );
  }
  for (const q of ds.quizzes) {
    const base = { description: q.intro, courseid: q.course, modulename: 'quiz' as const, instance: q.id, cmid: q.cmid, timemodified: q.timemodified };
    if (q.timeopen > 0) events.push(row({ ...base, id: eventIds.quiz(q.id, 'open'), name: `${q.name} opens`, eventtype: 'open', timestart: q.timeopen }));
    if (q.timeclose > 0) events.push(row({ ...base, id: eventIds.quiz(q.id, 'close'), name: `${q.name} closes`, eventtype: 'close', timestart: q.timeclose }));
  }
  return events.sort((x, y) => x.id - y.id);
}
