import { ERROR_CATALOG } from '../../src/common/errors/error-codes';
import { TestResponse } from './http';
import { OpenApiDocument, Operation, operationName } from './openapi-document';
import { validateAgainstSchema } from './schema-validator';

const mediaType = (contentType: string | undefined) => (contentType ?? '').split(';')[0].trim().toLowerCase();
const isJson = (type: string) => type === 'application/json' || type.endsWith('+json');

/**
 * Everything an answer of `op` breaks in the OpenAPI document, as readable
 * lines (empty when it keeps the contract): the status is declared for the
 * operation, the content type is one the document names for that status,
 * the body matches its schema (no body where none is declared), and every
 * error is an `application/problem+json` document whose `code` is one of
 * API.md's with the status that code has.
 */
export function contractViolations(doc: OpenApiDocument, op: Operation, res: TestResponse): string[] {
  const where = `${operationName(op)} → ${res.status}`;
  const violations: string[] = [];
  const declared = op.spec.responses[String(res.status)] ?? op.spec.responses.default;
  if (!declared) return [`${where}: status ${res.status} is not declared (declared: ${Object.keys(op.spec.responses).join(', ')})`];

  const type = mediaType(res.headers['content-type']);
  if (res.status >= 400) {
    if (type !== 'application/problem+json') violations.push(`${where}: an error answered as ${type || 'no content type'}, not application/problem+json`);
    const code = (res.body as { code?: unknown } | undefined)?.code;
    if (typeof code !== 'string' || !(code in ERROR_CATALOG)) {
      violations.push(`${where}: problem code ${JSON.stringify(code)} is not one of API.md's`);
    } else if (ERROR_CATALOG[code as keyof typeof ERROR_CATALOG].status !== res.status) {
      violations.push(`${where}: code ${code} belongs to status ${ERROR_CATALOG[code as keyof typeof ERROR_CATALOG].status}`);
    }
  }

  const content = declared.content;
  if (!content || Object.keys(content).length === 0) {
    if (res.text !== '') violations.push(`${where}: a body was sent where the document declares none: ${res.text.slice(0, 200)}`);
    return violations;
  }
  const entry = Object.entries(content).find(([declaredType]) => mediaType(declaredType) === type);
  if (!entry) {
    violations.push(`${where}: content type ${type || '(none)'} is not declared (declared: ${Object.keys(content).join(', ')})`);
    return violations;
  }
  const schema = entry[1].schema;
  if (!schema) {
    if (res.text !== '') violations.push(`${where}: the document declares ${type} without a schema; the body cannot be checked`);
    return violations;
  }
  if (isJson(type) && res.body === undefined) {
    violations.push(`${where}: the body is not JSON: ${res.text.slice(0, 200)}`);
    return violations;
  }
  const value = isJson(type) ? res.body : res.text;
  for (const v of validateAgainstSchema(doc, schema, value)) violations.push(`${where}: ${v.path} ${v.message}`);
  return violations;
}
