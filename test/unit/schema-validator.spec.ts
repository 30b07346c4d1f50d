import { TestResponse } from '../support/http';
import { OpenApiDocument } from '../support/openapi-document';
import { Rng } from '../support/prng';
import { contractViolations } from '../support/response-contract';
import { validateAgainstSchema } from '../support/schema-validator';

const doc: OpenApiDocument = {
  openapi: '3.0.0',
  paths: {
    '/things/{id}': {
      get: {
        responses: {
          '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
          '204': { description: 'nothing' },
          '404': {
            content: {
              'application/problem+json': {
                schema: { allOf: [{ $ref: '#/components/schemas/Problem' }, { type: 'object', properties: { code: { type: 'string', enum: ['NOT_FOUND'] } } }] },
              },
            },
          },
        },
      },
    },
  },
  components: {
    schemas: {
      Thing: {
        type: 'object',
        required: ['id', 'amount', 'createdAt', 'note'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          amount: { type: 'integer', minimum: 0 },
          createdAt: { type: 'string', format: 'date-time' },
          note: { type: 'string', nullable: true, maxLength: 3 },
          kind: { type: 'string', enum: ['a', 'b'] },
          tags: { type: 'array', items: { type: 'string' } },
          meta: { type: 'object', additionalProperties: true },
        },
      },
      Problem: {
        type: 'object',
        required: ['code', 'status'],
        properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' }, requestId: { type: 'string' } },
      },
    },
  },
};
const thing = { $ref: '#/components/schemas/Thing' };
const valid = { id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301', amount: 5, createdAt: '2024-05-01T10:00:00.000Z', note: null };

describe('validateAgainstSchema', () => {
  it('accepts a value that matches, with $ref, nullable, arrays and free-form objects', () => {
    expect(validateAgainstSchema(doc, thing, { ...valid, kind: 'a', tags: ['x'], meta: { anything: [1] } })).toEqual([]);
  });

  it.each([
    [{ ...valid, id: 'nope' }, '$.id', 'is not a uuid'],
    [{ ...valid, amount: 1.5 }, '$.amount', 'expected an integer, got 1.5'],
    [{ ...valid, amount: -1 }, '$.amount', '-1 is below the minimum 0'],
    [{ ...valid, amount: '5' }, '$.amount', 'expected a integer, got string'],
    [{ ...valid, createdAt: '2024-05-01' }, '$.createdAt', 'is not a date-time'],
    [{ ...valid, note: 'long' }, '$.note', 'is longer than 3'],
    [{ ...valid, kind: 'c' }, '$.kind', 'is not one of'],
    [{ ...valid, tags: [1] }, '$.tags[0]', 'expected a string, got number'],
    [{ ...valid, secret: 1 }, '$.secret', 'is not declared in the schema'],
    [{ id: valid.id, amount: 1, createdAt: valid.createdAt }, '$.note', 'is required but missing'],
    [{ ...valid, id: null }, '$.id', 'is null, and the schema is not nullable'],
    [[valid], '$', 'expected an object, got an array'],
  ])('reports %j', (value, path, message) => {
    const violations = validateAgainstSchema(doc, thing, value);
    expect(violations).toEqual([expect.objectContaining({ path, message: expect.stringContaining(message) })]);
  });

  it('judges the members of an allOf against all its parts, and oneOf as exactly one', () => {
    const problem = doc.paths['/things/{id}'].get.responses['404'].content!['application/problem+json'].schema!;
    expect(validateAgainstSchema(doc, problem, { code: 'NOT_FOUND', status: 404, requestId: 'r' })).toEqual([]);
    expect(validateAgainstSchema(doc, problem, { code: 'CONFLICT', status: 404 })).toEqual([{ path: '$.code', message: '"CONFLICT" is not one of ["NOT_FOUND"]' }]);
    expect(validateAgainstSchema(doc, problem, { code: 'NOT_FOUND', status: 404, extra: 1 })).toEqual([
      expect.objectContaining({ path: '$.extra', message: 'is not declared in the schema' }),
    ]);
    const either = { oneOf: [{ type: 'string' as const }, { type: 'integer' as const }] };
    expect(validateAgainstSchema(doc, either, 1)).toEqual([]);
    expect(validateAgainstSchema(doc, either, true)).toEqual([expect.objectContaining({ message: expect.stringContaining('matches 0 of the 2') })]);
  });
});

describe('contractViolations', () => {
  const op = { method: 'GET', path: '/things/{id}', spec: doc.paths['/things/{id}'].get };
  const answer = (status: number, type: string, body: unknown): TestResponse => ({
    status,
    headers: type ? { 'content-type': type } : ({} as Record<string, string>),
    text: body === undefined ? '' : JSON.stringify(body),
    body,
  });

  it('passes a declared status with a matching body', () => {
    expect(contractViolations(doc, op, answer(200, 'application/json; charset=utf-8', valid))).toEqual([]);
    expect(contractViolations(doc, op, answer(204, '', undefined))).toEqual([]);
  });

  it('reports an undeclared status, a wrong content type, a body where none is declared and a lying body', () => {
    expect(contractViolations(doc, op, answer(409, 'application/problem+json', { code: 'CONFLICT', status: 409 }))[0]).toMatch(/status 409 is not declared/);
    expect(contractViolations(doc, op, answer(200, 'text/html', valid))[0]).toMatch(/content type text\/html is not declared/);
    expect(contractViolations(doc, op, answer(204, 'application/json', valid))[0]).toMatch(/a body was sent where the document declares none/);
    expect(contractViolations(doc, op, answer(200, 'application/json', { ...valid, amount: -2 }))[0]).toMatch(/\$\.amount -2 is below the minimum 0/);
  });

  it('requires errors to be problem documents with a code of API.md of their status', () => {
    expect(contractViolations(doc, op, answer(404, 'application/json', { code: 'NOT_FOUND', status: 404 }))).toEqual([
      expect.stringMatching(/not application\/problem\+json/),
      expect.stringMatching(/content type application\/json is not declared/),
    ]);
    expect(contractViolations(doc, op, answer(404, 'application/problem+json', { code: 'NOPE', status: 404 }))).toEqual([
      expect.stringMatching(/problem code "NOPE" is not one of API.md's/),
      expect.stringMatching(/is not one of \["NOT_FOUND"\]/),
    ]);
  });
});

describe('Rng', () => {
  it('is a function of its seed, and forks independent streams', () => {
    const draw = (rng: Rng) => Array.from({ length: 5 }, () => rng.int(0, 1000));
    expect(draw(new Rng(42))).toEqual(draw(new Rng(42)));
    expect(draw(new Rng(42))).not.toEqual(draw(new Rng(43)));
    expect(draw(new Rng(42).fork('a'))).toEqual(draw(new Rng(42).fork('a')));
    expect(draw(new Rng(42).fork('a'))).not.toEqual(draw(new Rng(42).fork('b')));
    expect(new Rng(7).uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
