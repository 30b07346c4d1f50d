/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4),
 * so tests check what a real scraper would accept: names, label syntax and
 * escapes, numeric values, one HELP and TYPE per family before its samples,
 * families not interleaved, no duplicate series, and well-formed histograms
 * (cumulative buckets ending with le="+Inf", `_count` equal to it). Any
 * violation throws with the line number.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name, e.g. `http_request_duration_seconds_bucket`. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help?: string;
  type: MetricType;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Partial<Record<MetricType, string[]>> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

export class PrometheusParseError extends Error {}

/** The value of the family's sample named `name` (the family's own name by default) whose labels include `labels`. */
export function sampleValue(family: MetricFamily | undefined, labels: Record<string, string> = {}, name = family?.name): number | undefined {
  return family?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  if (text.length > 0 && !text.endsWith('\n')) throw new PrometheusParseError('the exposition must end with a line feed');
  const families = new Map<string, MetricFamily>();
  const closed = new Set<string>();
  const seenSeries = new Set<string>();
  const typed = new Set<string>();
  let current: MetricFamily | undefined;
  const lines = text.split('\n');
  lines.pop();

  const fail = (lineNo: number, message: string): never => {
    throw new PrometheusParseError(`line ${lineNo}: ${message}: ${JSON.stringify(lines[lineNo - 1])}`);
  };
  const switchTo = (name: string, lineNo: number): MetricFamily => {
    if (current?.name === name) return current;
    if (current) closed.add(current.name);
    if (closed.has(name)) fail(lineNo, `family ${name} is interleaved with another`);
    let family = families.get(name);
    if (!family) {
      family = { name, type: 'untyped', samples: [] };
      families.set(name, family);
    }
    current = family;
    return family;
  };

  lines.forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const match = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!match) return; // a plain comment
      const [, keyword, name, rest = ''] = match;
      if (!METRIC_NAME.test(name)) fail(lineNo, `bad metric name ${name}`);
      const family = switchTo(name, lineNo);
      if (keyword === 'HELP') {
        if (family.help !== undefined) fail(lineNo, `second HELP for ${name}`);
        family.help = unescapeHelp(rest, () => fail(lineNo, 'bad escape in HELP'));
      } else {
        if (family.samples.length > 0) fail(lineNo, `TYPE of ${name} after its samples`);
        if (typed.has(name)) fail(lineNo, `second TYPE for ${name}`);
        if (!TYPES.has(rest.trim() as MetricType)) fail(lineNo, `unknown type ${rest}`);
        family.type = rest.trim() as MetricType;
        typed.add(name);
      }
      return;
    }
    const sample = parseSample(line, (message) => fail(lineNo, message));
    const familyName = familyOf(sample.name, current);
    const family = switchTo(familyName, lineNo);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seenSeries.has(key)) fail(lineNo, 'duplicate series');
    seenSeries.add(key);
    family.samples.push(sample);
  });

  for (const family of families.values()) {
    if (family.type === 'histogram') checkHistogram(family);
  }
  return families;
}

/** `x_bucket` belongs to the family `x` when the current family is the histogram `x`. */
function familyOf(sampleName: string, current: MetricFamily | undefined): string {
  if (current) {
    for (const suffix of SUFFIXES[current.type] ?? []) {
      if (sampleName === current.name + suffix) return current.name;
    }
  }
  return sampleName;
}

function parseSample(line: string, fail: (message: string) => never): Sample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) fail('bad metric name');
  const name = nameMatch![0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const labelMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
      if (!labelMatch || !LABEL_NAME.test(labelMatch[0])) fail('bad label name');
      const label = labelMatch![0];
      i += label.length;
      if (line[i] !== '=' || line[i + 1] !== '"') fail(`label ${label} without ="value"`);
      i += 2;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) fail('unterminated label value');
        if (c === '"') break;
        if (c === '\\') {
          const next = line[i + 1];
          if (next === 'n') value += '\n';
          else if (next === '\\' || next === '"') value += next;
          else fail('bad escape in label value');
          i += 2;
        } else {
          value += c;
          i++;
        }
      }
      i++;
      if (label in labels) fail(`label ${label} repeated`);
      labels[label] = value;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') fail('expected , or } after a label');
    }
    i++;
  }
  if (line[i] !== ' ') fail('expected a space before the value');
  const parts = line.slice(i + 1).split(' ');
  if (parts.length < 1 || parts.length > 2) fail('expected a value and an optional timestamp');
  const value = parseValue(parts[0]);
  if (value === undefined) fail(`bad value ${parts[0]}`);
  if (parts.length === 2 && !/^-?\d+$/.test(parts[1])) fail(`bad timestamp ${parts[1]}`);
  return { name, labels, value: value! };
}

function parseValue(text: string): number | undefined {
  if (text === 'NaN') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

function unescapeHelp(text: string, fail: () => never): string {
  return text.replace(/\\(.?)/g, (_, c: string) => (c === 'n' ? '\n' : c === '\\' ? '\\' : fail()));
}

function checkHistogram(family: MetricFamily): void {
  const groups = new Map<string, { buckets: Array<[number, number]>; count?: number; sum?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const group = groups.get(key) ?? { buckets: [] };
    groups.set(key, group);
    if (sample.name.endsWith('_bucket')) {
      const bound = le === undefined ? undefined : parseValue(le);
      if (bound === undefined) throw new PrometheusParseError(`${family.name}: bucket without a numeric le`);
      group.buckets.push([bound, sample.value]);
    } else if (sample.name.endsWith('_count')) group.count = sample.value;
    else if (sample.name.endsWith('_sum')) group.sum = sample.value;
  }
  for (const [key, group] of groups) {
    const where = `${family.name}${key}`;
    const sorted = [...group.buckets].sort((a, b) => a[0] - b[0]);
    if (sorted.length === 0 || sorted[sorted.length - 1][0] !== Infinity) throw new PrometheusParseError(`${where}: no le="+Inf" bucket`);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i][1] < sorted[i - 1][1]) throw new PrometheusParseError(`${where}: buckets are not cumulative`);
    }
    if (group.count === undefined || group.sum === undefined) throw new PrometheusParseError(`${where}: _count or _sum missing`);
    if (group.count !== sorted[sorted.length - 1][1]) throw new PrometheusParseError(`${where}: _count differs from the +Inf bucket`);
  }
}
