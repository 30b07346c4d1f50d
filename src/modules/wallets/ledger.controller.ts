import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated } from '../../common/decorators/api-problems.decorator';
import { Ctx } from '../../common/decorators/ctx.decorator';
import { Roles } from '../../common/decorators/roles.decorator';
import { AuthenticatedContext } from '../../common/request-context/request-context';
import { LedgerSummaryDto } from './dto/ledger.dto';
import { LedgerReconciler } from './ledger-reconciler';

@ApiTags('wallets')
@Controller('ledger')
export class LedgerController {
  constructor(private readonly reconciler: LedgerReconciler) {}

  @Get('summary')
  @Roles('admin')
  @ApiOperation({ summary: 'The tenant’s ledger per currency, recomputed from the entries (admin)' })
  @ApiOkResponse({ type: LedgerSummaryDto })
  @ApiAuthenticated('FORBIDDEN')
  async summary(@Ctx() ctx: AuthenticatedContext): Promise<LedgerSummaryDto> {
    const { consistent, currencies } = await this.reconciler.reconcileTenant(ctx.principal.tenantId);
    return { consistent, currencies };
  }
}
