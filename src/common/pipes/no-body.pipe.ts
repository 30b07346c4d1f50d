import { Body, PipeTransform } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import { validationFailed } from '../errors/domain-error';

/**
 * The body of a route that takes none: nothing, or an empty JSON object.
 * Any member is an unknown field (400), as on every route with a body.
 */
class NoBodyPipe implements PipeTransform {
  transform(value: unknown): undefined {
    if (value === undefined) return undefined;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw validationFailed([{ field: 'body', message: 'must be empty or an empty JSON object' }]);
    }
    const fields = Object.keys(value);
    if (fields.length) throw validationFailed(fields.map((field) => ({ field, message: 'should not exist' })));
    return undefined;
  }
}

/** A parameter decorator for a route that takes no body: refuses one with fields. */
export const NoBody = (): ParameterDecorator => Body(new NoBodyPipe());

/** Documents the same in OpenAPI: an optional body that can only be `{}`. */
export const ApiNoBody = () => ApiBody({ required: false, schema: { type: 'object', additionalProperties: false, maxProperties: 0 } });
