import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ListCursors } from './cursor';

/**
 * Query strings carry text: only plain (signed) digits become a number, so
 * "1e3" or "5.0" stay invalid, while "-1" or "99999999999" are numbers out of range.
 */
export const toIntIfDigits = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value;

/** `limit` and `cursor`, shared by every list endpoint. */
export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Transform(toIntIfDigits)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from a previous page’s nextCursor' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface KeysetRow {
  id: string;
  created_at: Date | string;
}

/**
 * Builds a page from rows fetched with `limit + 1`: the extra row only says
 * that another page exists.
 */
export function toPage<R extends KeysetRow, T>(rows: R[], limit: number, cursors: ListCursors, map: (row: R) => T): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    data: pageRows.map(map),
    nextCursor: hasMore && last ? cursors.encode({ createdAt: last.created_at, id: last.id }) : null,
  };
}

/**
 * The WHERE fragment and parameters of a newest-first keyset page over
 * `(created_at, id)`, starting at parameter number `next`.
 */
export function keysetCondition(cursors: ListCursors, cursor: string | undefined, next: number, alias = '') {
  if (!cursor) return { sql: 'TRUE', params: [] as unknown[] };
  const position = cursors.decode(cursor);
  const p = alias ? `${alias}.` : '';
  return {
    sql: `(${p}created_at, ${p}id) < ($${next}::timestamptz, $${next + 1}::uuid)`,
    params: [position.createdAt, position.id] as unknown[],
  };
}
