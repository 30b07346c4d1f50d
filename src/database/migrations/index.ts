import { Foundation1764000000000 } from './1764000000000-foundation';
import { Identity1764000000100 } from './1764000000100-identity';
import { Audit1764000000200 } from './1764000000200-audit';
import { Idempotency1764000000300 } from './1764000000300-idempotency';
import { Ledger1764000000310 } from './1764000000310-ledger';
import { CatalogCart1764000000500 } from './1764000000500-catalog-cart';
import { Orders1764000000600 } from './1764000000600-orders';
import { AuditRetention1764000000700 } from './1764000000700-audit-retention';
import { CartCurrency1764000000800 } from './1764000000800-cart-currency';

/** Every migration, in order. A feature adds its own here. */
export const MIGRATIONS = [
  Foundation1764000000000,
  Identity1764000000100,
  Audit1764000000200,
  Idempotency1764000000300,
  Ledger1764000000310,
  CatalogCart1764000000500,
  Orders1764000000600,
  AuditRetention1764000000700,
  CartCurrency1764000000800,
];
