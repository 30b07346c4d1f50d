import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { CursorCodec } from '../../common/pagination/cursor';
import { keysetCondition, Page, PageQueryDto, toPage } from '../../common/pagination/page';
import { AuthenticatedContext, Role } from '../../common/request-context/request-context';
import { isUniqueViolation } from '../../database/database-errors';
import { UnitOfWork } from '../../database/unit-of-work';
import { PasswordHasher } from '../auth/password-hasher';
import { CreateUserDto, UserResponseDto } from './dto/user.dto';

interface UserRow {
  id: string;
  email: string;
  role: Role;
  created_at: Date;
}

const toUser = (row: UserRow): UserResponseDto => ({
  id: row.id,
  email: row.email,
  role: row.role,
  createdAt: row.created_at.toISOString(),
});

@Injectable()
export class UsersService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly hasher: PasswordHasher,
    private readonly cursors: CursorCodec,
  ) {}

  async create(ctx: AuthenticatedContext, input: CreateUserDto): Promise<UserResponseDto> {
    const passwordHash = await this.hasher.hash(input.password);
    try {
      const [row] = await this.uow.forTenant(ctx.principal.tenantId, (tx) =>
        tx.query<UserRow>(
          'INSERT INTO users (tenant_id, email, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING id, email, role, created_at',
          [ctx.principal.tenantId, input.email, passwordHash, input.role],
        ),
      );
      return toUser(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('CONFLICT', `a user with e-mail ${input.email} already exists`);
      throw error;
    }
  }

  async list(ctx: AuthenticatedContext, query: PageQueryDto): Promise<Page<UserResponseDto>> {
    const limit = query.limit ?? 20;
    const cursors = this.cursors.forList(`users:${ctx.principal.tenantId}`);
    const after = keysetCondition(cursors, query.cursor, 3);
    const rows = await this.uow.readOnce<UserRow>(
      ctx.principal.tenantId,
      `SELECT id, email, role, created_at FROM users WHERE tenant_id = $1 AND ${after.sql} ORDER BY created_at DESC, id DESC LIMIT $2`,
      [ctx.principal.tenantId, limit + 1, ...after.params],
    );
    return toPage(rows, limit, cursors, toUser);
  }
}
