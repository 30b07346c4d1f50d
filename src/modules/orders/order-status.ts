import { DomainError } from '../../common/errors/domain-error';
import { OrderStatus } from './dto/order.dto';

/** The moves an admin may make; CANCELLED is reached only through cancel (from PAID). */
const NEXT: Record<OrderStatus, OrderStatus | null> = {
  PAID: 'FULFILLED',
  FULFILLED: 'DELIVERED',
  DELIVERED: null,
  CANCELLED: null,
};

export function assertStatusChange(from: OrderStatus, to: OrderStatus): void {
  if (NEXT[from] !== to) throw new DomainError('INVALID_TRANSITION', `an order cannot go from ${from} to ${to}`);
}

export function assertCancellable(from: OrderStatus): void {
  if (from !== 'PAID') throw new DomainError('INVALID_TRANSITION', `only a PAID order can be cancelled; this one is ${from}`);
}
