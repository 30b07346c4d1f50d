import { Injectable } from '@nestjs/common';
import { DomainError, notFound } from '../../common/errors/domain-error';
import { CursorCodec } from '../../common/pagination/cursor';
import { keysetCondition, Page, PageQueryDto, toPage } from '../../common/pagination/page';
import { AuthenticatedContext } from '../../common/request-context/request-context';
import { isUniqueViolation } from '../../database/database-errors';
import { UnitOfWork } from '../../database/unit-of-work';
import { CreateProductDto, ProductDto, UpdateProductDto } from './dto/product.dto';

/** A `products` row as PostgreSQL returns it (bigint as text). */
export interface ProductRow {
  id: string;
  sku: string;
  name: string;
  unit_price: string;
  currency: string;
  stock: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, sku, name, unit_price, currency, stock, created_at, updated_at';

const toProduct = (row: ProductRow): ProductDto => ({
  id: row.id,
  sku: row.sku,
  name: row.name,
  unitPrice: Number(row.unit_price),
  currency: row.currency,
  stock: row.stock,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** Column of each updatable field. */
const UPDATABLE: Record<keyof UpdateProductDto, string> = {
  sku: 'sku',
  name: 'name',
  unitPrice: 'unit_price',
  currency: 'currency',
  stock: 'stock',
};

@Injectable()
export class CatalogService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly cursors: CursorCodec,
  ) {}

  async create(ctx: AuthenticatedContext, input: CreateProductDto): Promise<ProductDto> {
    const tenantId = ctx.principal.tenantId;
    const [row] = await this.guardSku(input.sku, () =>
      this.uow.forTenant(tenantId, (tx) =>
        tx.query<ProductRow>(
          `INSERT INTO products (tenant_id, sku, name, unit_price, currency, stock) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
          [tenantId, input.sku, input.name, input.unitPrice, input.currency, input.stock],
        ),
      ),
    );
    return toProduct(row);
  }

  async list(ctx: AuthenticatedContext, query: PageQueryDto): Promise<Page<ProductDto>> {
    const limit = query.limit ?? 20;
    const cursors = this.cursors.forList(`products:${ctx.principal.tenantId}`);
    const after = keysetCondition(cursors, query.cursor, 3);
    const rows = await this.uow.readOnce<ProductRow>(
      ctx.principal.tenantId,
      `SELECT ${COLUMNS} FROM products WHERE tenant_id = $1 AND ${after.sql} ORDER BY created_at DESC, id DESC LIMIT $2`,
      [ctx.principal.tenantId, limit + 1, ...after.params],
    );
    return toPage(rows, limit, cursors, toProduct);
  }

  async get(ctx: AuthenticatedContext, id: string): Promise<ProductDto> {
    const [row] = await this.uow.forTenant(ctx.principal.tenantId, (tx) =>
      tx.query<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE tenant_id = $1 AND id = $2`, [ctx.principal.tenantId, id]),
    );
    if (!row) throw notFound('product');
    return toProduct(row);
  }

  async update(ctx: AuthenticatedContext, id: string, input: UpdateProductDto): Promise<ProductDto> {
    const fields = (Object.keys(UPDATABLE) as Array<keyof UpdateProductDto>).filter((key) => input[key] !== undefined);
    if (fields.length === 0) {
      throw new DomainError('VALIDATION_FAILED', 'nothing to update', [{ field: 'body', message: 'must name at least one field' }]);
    }
    const assignments = fields.map((key, i) => `${UPDATABLE[key]} = $${i + 3}`);
    const [row] = await this.guardSku(input.sku, () =>
      this.uow.forTenant(ctx.principal.tenantId, (tx) =>
        tx.query<ProductRow>(
          `UPDATE products SET ${assignments.join(', ')}, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
          [ctx.principal.tenantId, id, ...fields.map((key) => input[key])],
        ),
      ),
    );
    if (!row) throw notFound('product');
    return toProduct(row);
  }

  private async guardSku<T>(sku: string | undefined, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('CONFLICT', `a product with sku ${sku} already exists`);
      throw error;
    }
  }
}
