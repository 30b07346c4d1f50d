import { Injectable } from '@nestjs/common';
import { DomainError, notFound } from '../../common/errors/domain-error';
import { MAX_AMOUNT } from '../../common/validation/money';
import { AuthenticatedContext } from '../../common/request-context/request-context';
import { Tx, UnitOfWork } from '../../database/unit-of-work';
import { CART_WITH_LINES, cartFromRows, CartLineRow, CartRow, cartStore, CartWithLines, CartWithLinesRow } from './cart.store';
import { AddCartItemDto, CartDto, MAX_CART_LINES, MAX_LINE_QUANTITY } from './dto/cart.dto';

/** Totals in BigInt: a line of 1000 units can pass 2^53 before the bound check. */
export function cartTotals(lines: Pick<CartLineRow, 'unit_price' | 'quantity'>[]): { total: bigint; itemCount: number } {
  let total = 0n;
  let itemCount = 0;
  for (const line of lines) {
    total += BigInt(line.unit_price) * BigInt(line.quantity);
    itemCount += line.quantity;
  }
  return { total, itemCount };
}

function toView({ cart, lines }: CartWithLines): CartDto {
  const { total, itemCount } = cartTotals(lines);
  return {
    id: cart.id,
    // The lines' own currency, as every check of the cart reads it (a product's currency may change after it was added).
    currency: lines[0]?.currency ?? null,
    items: lines.map((line) => ({
      productId: line.product_id,
      sku: line.sku,
      name: line.name,
      unitPrice: Number(line.unit_price),
      quantity: line.quantity,
      lineTotal: Number(BigInt(line.unit_price) * BigInt(line.quantity)),
    })),
    itemCount,
    total: Number(total),
    updatedAt: cart.updated_at.toISOString(),
  };
}

/** One cart per user, always the caller's own; prices come from the catalog. */
@Injectable()
export class CartService {
  constructor(private readonly uow: UnitOfWork) {}

  async get(ctx: AuthenticatedContext): Promise<CartDto> {
    const { tenantId, userId } = ctx.principal;
    // The common case in one round trip, on the primary (the caller's own latest change must show).
    const found = cartFromRows(await this.uow.readOnce<CartWithLinesRow>(tenantId, CART_WITH_LINES, [tenantId, userId], { primary: true }));
    if (found) return toView(found);
    return this.uow.forTenant(tenantId, async (tx) => toView({ cart: await cartStore.lockOrCreate(tx, tenantId, userId), lines: [] }));
  }

  addItem(ctx: AuthenticatedContext, input: AddCartItemDto): Promise<CartDto> {
    return this.change(ctx, async (tx, cart, lines) => {
      const [product] = await tx.query<{ currency: string; unit_price: string }>(
        'SELECT currency, unit_price FROM products WHERE tenant_id = $1 AND id = $2',
        [ctx.principal.tenantId, input.productId],
      );
      if (!product) throw notFound('product');
      if (lines.length && lines[0].currency !== product.currency) {
        throw new DomainError('CURRENCY_MISMATCH', `the cart holds ${lines[0].currency}; this product is priced in ${product.currency}`);
      }
      const existing = lines.find((line) => line.product_id === input.productId);
      const quantity = (existing?.quantity ?? 0) + input.quantity;
      if (quantity > MAX_LINE_QUANTITY) {
        throw new DomainError('CART_LIMIT_EXCEEDED', `a line holds at most ${MAX_LINE_QUANTITY} units; it would hold ${quantity}`);
      }
      if (!existing && lines.length >= MAX_CART_LINES) {
        throw new DomainError('CART_LIMIT_EXCEEDED', `a cart holds at most ${MAX_CART_LINES} lines`);
      }
      const others = lines.filter((line) => line.product_id !== input.productId);
      assertTotalWithinBounds([...others, { unit_price: product.unit_price, quantity }]);
      await tx.query(
        `INSERT INTO cart_items (tenant_id, cart_id, product_id, quantity) VALUES ($1, $2, $3, $4)
         ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity`,
        [ctx.principal.tenantId, cart.id, input.productId, quantity],
      );
    });
  }

  setQuantity(ctx: AuthenticatedContext, productId: string, quantity: number): Promise<CartDto> {
    if (quantity === 0) return this.removeItem(ctx, productId);
    return this.change(ctx, async (tx, cart, lines) => {
      const line = lines.find((l) => l.product_id === productId);
      if (!line) throw notFound('cart line');
      assertTotalWithinBounds(lines.map((l) => (l === line ? { ...l, quantity } : l)));
      await tx.query('UPDATE cart_items SET quantity = $4 WHERE tenant_id = $1 AND cart_id = $2 AND product_id = $3', [
        ctx.principal.tenantId,
        cart.id,
        productId,
        quantity,
      ]);
    });
  }

  removeItem(ctx: AuthenticatedContext, productId: string): Promise<CartDto> {
    return this.change(ctx, async (tx, cart, lines) => {
      if (!lines.some((l) => l.product_id === productId)) throw notFound('cart line');
      await tx.query('DELETE FROM cart_items WHERE tenant_id = $1 AND cart_id = $2 AND product_id = $3', [ctx.principal.tenantId, cart.id, productId]);
    });
  }

  async clear(ctx: AuthenticatedContext): Promise<void> {
    const { tenantId, userId } = ctx.principal;
    await this.uow.forTenant(tenantId, async (tx) => {
      const cart = await cartStore.find(tx, tenantId, userId, true);
      if (cart) await cartStore.empty(tx, tenantId, cart.id);
    });
  }

  /** Locks the cart, applies `mutate`, and answers the new cart. */
  private change(ctx: AuthenticatedContext, mutate: (tx: Tx, cart: CartRow, lines: CartLineRow[]) => Promise<void>): Promise<CartDto> {
    const { tenantId, userId } = ctx.principal;
    return this.uow.forTenant(tenantId, async (tx) => {
      const cart = await cartStore.lockOrCreate(tx, tenantId, userId);
      await mutate(tx, cart, await cartStore.lines(tx, tenantId, cart.id));
      await cartStore.touch(tx, tenantId, cart.id);
      return toView((await cartStore.read(tx, tenantId, userId))!);
    });
  }
}

function assertTotalWithinBounds(lines: Pick<CartLineRow, 'unit_price' | 'quantity'>[]): void {
  if (cartTotals(lines).total > BigInt(MAX_AMOUNT)) {
    throw new DomainError('AMOUNT_TOO_LARGE', `the cart total would pass ${MAX_AMOUNT}`);
  }
}
