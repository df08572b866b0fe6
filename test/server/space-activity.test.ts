import { describe, expect, it } from 'vitest';
import { MAX_SHAPES, MAX_SPACES, RATE_WINDOW_SECONDS, SpaceActivity, shapeOf } from '../../src/server/space-activity.js';

describe('SpaceActivity', () => {
  it('counts writes and takes over the last minute, and forgets older seconds', () => {
    let now = 10_000_000;
    const activity = new SpaceActivity(() => now);
    activity.wrote('acme', 'default', 'orders', 3);
    activity.took('acme', 'default', 'orders', 1);
    now += 1000;
    activity.wrote('acme', 'default', 'orders', 3);
    expect(activity.summary('acme', 'default', 'orders')).toMatchObject({ writes: 6, takes: 1, writesPerSecond: 0.1, takesPerSecond: 0.02 });
    now += RATE_WINDOW_SECONDS * 1000;
    expect(activity.summary('acme', 'default', 'orders')).toMatchObject({ writes: 0, takes: 0 });
    // Another space, and an unknown one, are apart.
    expect(activity.summary('globex', 'default', 'orders')).toEqual({ writes: 0, takes: 0, writesPerSecond: 0, takesPerSecond: 0, shapes: [] });
  });

  it('counts template shapes, most used first, at most MAX_SHAPES per space', () => {
    const activity = new SpaceActivity();
    for (let i = 0; i < 3; i++) activity.matched('t', 'n', 's', ['order', i, null]);
    activity.matched('t', 'n', 's', ['invoice', { $type: 'int' }]);
    expect(activity.summary('t', 'n', 's').shapes).toEqual([
      { shape: '["order", number, _]', count: 3 },
      { shape: '["invoice", ?int]', count: 1 },
    ]);
    for (let i = 0; i < MAX_SHAPES + 10; i++) activity.matched('t', 'n', 'wide', [`tag-${i}`]);
    activity.matched('t', 'n', 'wide', ['tag-0']);
    expect(activity.summary('t', 'n', 'wide').shapes[0]).toEqual({ shape: '["tag-0"]', count: 2 });
  });

  it('keeps at most MAX_SPACES spaces, forgetting the least recently used', () => {
    const activity = new SpaceActivity();
    activity.wrote('t', 'n', 'first', 1);
    for (let i = 0; i < MAX_SPACES; i++) activity.wrote('t', 'n', `s${i}`, 1);
    expect(activity.summary('t', 'n', 'first').writes).toBe(0);
    expect(activity.summary('t', 'n', `s${MAX_SPACES - 1}`).writes).toBe(1);
  });

  it('writes long strings, int64, bytes and nested values by type', () => {
    expect(shapeOf(['x'.repeat(40), { $int: '9007199254740993' }, { $bytes: 'AQID' }, [1], true])).toBe('[string, int, bytes, array, boolean]');
  });
});
