import { parsePrometheusText, PrometheusParseError } from '../support/prometheus-text';

const VALID = [
  '# HELP http_requests_total Requests, with a \\\\ and a \\n in the help',
  '# TYPE http_requests_total counter',
  'http_requests_total{method="GET",route="/api/x",status="200"} 3',
  'http_requests_total{method="GET",route="a \\"quoted\\" \\\\ value",status="500",} 1e3',
  '# TYPE latency_seconds histogram',
  'latency_seconds_bucket{le="0.1"} 1',
  'latency_seconds_bucket{le="+Inf"} 2',
  'latency_seconds_sum 0.3',
  'latency_seconds_count 2',
  '# a plain comment',
  'untyped_value NaN 1700000000000',
  '',
].join('\n');

describe('the Prometheus text parser used by the tests', () => {
  it('reads families, types, help, labels with escapes and special values', () => {
    const families = parsePrometheusText(VALID);
    const requests = families.get('http_requests_total')!;
    expect(requests.type).toBe('counter');
    expect(requests.help).toBe('Requests, with a \\ and a \n in the help');
    expect(requests.samples[1]).toEqual({
      name: 'http_requests_total',
      labels: { method: 'GET', route: 'a "quoted" \\ value', status: '500' },
      value: 1000,
    });
    expect(families.get('latency_seconds')!.samples.map((s) => s.name)).toEqual([
      'latency_seconds_bucket',
      'latency_seconds_bucket',
      'latency_seconds_sum',
      'latency_seconds_count',
    ]);
    expect(families.get('untyped_value')!.samples[0].value).toBeNaN();
  });

  it.each([
    ['no final line feed', 'x 1'],
    ['a bad metric name', '1x 1\n'],
    ['a value that is not a number', 'x one\n'],
    ['"Nan" instead of "NaN"', 'x Nan\n'],
    ['an unterminated label value', 'x{a="b} 1\n'],
    ['a bad escape', 'x{a="\\t"} 1\n'],
    ['a repeated label', 'x{a="1",a="2"} 1\n'],
    ['a duplicate series', 'x{a="1"} 1\nx{a="1"} 2\n'],
    ['TYPE after samples', 'x 1\n# TYPE x counter\n'],
    ['two TYPE lines', '# TYPE x counter\n# TYPE x gauge\n'],
    ['an unknown type', '# TYPE x meter\n'],
    ['interleaved families', 'x 1\ny 1\nx{a="1"} 2\n'],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['non-cumulative buckets', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['a count that differs from +Inf', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n'],
  ])('refuses %s', (_, text) => {
    expect(() => parsePrometheusText(text)).toThrow(PrometheusParseError);
  });
});
