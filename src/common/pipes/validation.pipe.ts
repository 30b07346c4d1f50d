import { ArgumentMetadata, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, validationFailed } from '../errors/domain-error';

/**
 * Member names no DTO has and that validation would not report: the pipe
 * silently drops `constructor` and `prototype` (its prototype-pollution
 * guard), and class-transformer skips the names of Object.prototype's
 * members, so a body or query carrying one would be accepted instead of
 * refused as unknown.
 */
const isReservedName = (key: string) => key === 'prototype' || key in Object.prototype;

/** A body a DTO can describe: a JSON object, or none at all (then its required fields are reported missing). */
const isObjectOrNothing = (value: unknown) => value === undefined || (value !== null && typeof value === 'object' && !Array.isArray(value));

/** Paths of the reserved member names in a parsed body or query, at any depth. */
function reservedMembers(value: unknown, path: string, found: string[]): string[] {
  if (Array.isArray(value)) value.forEach((item, i) => reservedMembers(item, `${path}[${i}]`, found));
  else if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      const member = path ? `${path}.${key}` : key;
      if (isReservedName(key)) found.push(member);
      else reservedMembers((value as Record<string, unknown>)[key], member, found);
    }
  }
  return found;
}

/**
 * The global pipe: whitelist and refuse unknown fields, transform into DTO
 * classes, no implicit type conversion (a string "10" is not an amount), and
 * every failure answered as `400 VALIDATION_FAILED` with per-field errors.
 */
class StrictValidationPipe implements PipeTransform {
  private readonly validation = new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    // Every rule runs (stopAtFirstError would run a property's stacked decorators bottom-up and
    // report the range of "abc" instead of its type); `messagesOf` picks what to report.
    exceptionFactory: (errors) => validationFailed(flatten(errors)),
  });

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    // The request context of `@Ctx()` is built by us, not sent by the client, and ValidationPipe
    // leaves custom decorators alone: returned as it is, without the promise ValidationPipe makes.
    if (metadata.type === 'custom') return value;
    if (metadata.type === 'body' && typeof metadata.metatype === 'function' && metadata.metatype !== Object && !isObjectOrNothing(value)) {
      throw validationFailed([{ field: 'body', message: 'must be a JSON object' }]);
    }
    if (metadata.type === 'body' || metadata.type === 'query') {
      const reserved = reservedMembers(value, '', []);
      if (reserved.length) throw validationFailed(reserved.map((field) => ({ field, message: 'should not exist' })));
    }
    return this.validation.transform(value, metadata);
  }
}

export const createValidationPipe = (): PipeTransform => new StrictValidationPipe();

/**
 * Constraints that say a value has the wrong type. When one fails, it is the
 * only message of its property: "abc" as a limit is "must be an integer
 * number", not also out of range.
 */
const TYPE_CHECKS = new Set(['isDefined', 'isString', 'isInt', 'isNumber', 'isBoolean', 'isArray', 'isObject', 'isIn']);

function messagesOf(error: ValidationError): string[] {
  const constraints = error.constraints ?? {};
  // The whitelist's own message repeats the name ("property foo should not exist").
  if (constraints.whitelistValidation) return ['should not exist'];
  const typeCheck = Object.keys(constraints).find((name) => TYPE_CHECKS.has(name));
  const messages = typeCheck ? [constraints[typeCheck]] : Object.values(constraints);
  return messages.map((message) => (message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message));
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = messagesOf(error).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
