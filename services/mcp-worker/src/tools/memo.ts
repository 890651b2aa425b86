/**
 * Memoizes a pure conversion of one object by the object's identity. Cached
 * reads hand every caller the same decoded Moodle answer (the near cache
 * keeps it; it is read-only), so a hot answer's items are converted once,
 * not on every call. The WeakMap lets a conversion go with its answer.
 * Only for functions whose result depends on nothing but the object and
 * whose result nobody mutates.
 */
export function perObject<T extends object, R>(fn: (item: T) => R): (item: T) => R {
  const done = new WeakMap<T, R>();
  return (item) => {
    if (done.has(item)) return done.get(item) as R;
    const result = fn(item);
    done.set(item, result);
    return result;
  };
}
