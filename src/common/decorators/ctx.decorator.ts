import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { RequestContext } from '../request-context/request-context';

/** Injects the request's {@link RequestContext} into a handler. */
export const Ctx = createParamDecorator((_: unknown, execution: ExecutionContext): RequestContext => {
  return execution.switchToHttp().getRequest().ctx;
});
