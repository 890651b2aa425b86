import { metricName, vectorSelectors } from '../helpers/promql.js';

describe('vectorSelectors (the test helper that reads PromQL)', () => {
  it('finds every selector with its matchers, and no function, keyword, label list or duration', () => {
    expect(
      vectorSelectors(
        'sum by (tool, le) (rate(mcp_tool_call_duration_seconds_bucket{worker="$worker", tool=~"a|b"}[$__rate_interval])) / on (tool) group_left sum(x) without (a) > bool 0.5e3 or vector(0) and up offset 5m',
      ),
    ).toEqual(['mcp_tool_call_duration_seconds_bucket{worker="$worker", tool=~"a|b"}', 'x', 'up']);
  });

  it('keeps strings whole, braces and all', () => {
    expect(vectorSelectors('count(ALERTS{alertstate="fir}ing"}) or {__name__="up"}')).toEqual(['ALERTS{alertstate="fir}ing"}', '{__name__="up"}']);
    expect(metricName('redis_up{a="b"}')).toBe('redis_up');
    expect(metricName('{__name__="up"}')).toBeUndefined();
  });
});
