import { OpenAPIObject } from '@nestjs/swagger';

/** An operation of the document (@nestjs/swagger does not export the OpenAPI object types). */
export type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
/** Methods whose requests Fastify reads a body of (GET and HEAD bodies are never parsed). */
const BODY_METHODS: ReadonlySet<string> = new Set(['post', 'put', 'patch', 'delete']);

/** Every operation of the document with its path, and whether its requests can carry a body. */
export function operationsOf(document: OpenAPIObject): Array<{ path: string; operation: Operation; takesBody: boolean }> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const operation = item[method];
      return operation ? [{ path, operation, takesBody: BODY_METHODS.has(method) }] : [];
    }),
  );
}
