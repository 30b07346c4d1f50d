import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated } from '../../common/decorators/api-problems.decorator';
import { Ctx } from '../../common/decorators/ctx.decorator';
import { Roles } from '../../common/decorators/roles.decorator';
import { PageQueryDto } from '../../common/pagination/page';
import { ParseIdPipe } from '../../common/pipes/parse-id.pipe';
import { AuthenticatedContext } from '../../common/request-context/request-context';
import { Audit } from '../audit/audit.decorator';
import { IDEMPOTENCY_PROBLEMS, Idempotent } from '../idempotency/idempotent.decorator';
import { AmountDto, CreateTransferDto, TransferResponseDto } from './dto/movement.dto';
import {
  CreateWalletDto,
  WalletListQueryDto,
  WalletPageDto,
  WalletResponseDto,
  WalletTransactionDto,
  WalletTransactionPageDto,
} from './dto/wallet.dto';
import { WalletsService } from './wallets.service';

@ApiTags('wallets')
@Controller('wallets')
export class WalletsController {
  constructor(private readonly wallets: WalletsService) {}

  @Post()
  @HttpCode(201)
  @Audit('WALLET_CREATE', { resource: 'wallet' })
  @ApiOperation({ summary: 'Open a wallet for the caller, with a balance of 0' })
  @ApiCreatedResponse({ type: WalletResponseDto })
  @ApiAuthenticated()
  create(@Ctx() ctx: AuthenticatedContext, @Body() body: CreateWalletDto): Promise<WalletResponseDto> {
    return this.wallets.create(ctx, body);
  }

  @Get()
  @ApiOperation({ summary: 'The caller’s wallets, newest first (admin: the tenant’s, optionally of one user)' })
  @ApiOkResponse({ type: WalletPageDto })
  @ApiAuthenticated('FORBIDDEN', 'NOT_FOUND')
  list(@Ctx() ctx: AuthenticatedContext, @Query() query: WalletListQueryDto) {
    return this.wallets.list(ctx, query);
  }

  @Post('transfers')
  @HttpCode(201)
  @Idempotent()
  @Audit('WALLET_TRANSFER', { resource: 'wallet' })
  @ApiOperation({
    summary: 'Move money between two wallets of one currency (from the caller’s own wallet; an admin from any)',
    description: 'A transfer to the same wallet is 400 VALIDATION_FAILED. Another user’s source wallet is 404 for a member.',
  })
  @ApiCreatedResponse({ type: TransferResponseDto })
  @ApiAuthenticated('NOT_FOUND', 'INSUFFICIENT_FUNDS', 'CURRENCY_MISMATCH', 'AMOUNT_TOO_LARGE', ...IDEMPOTENCY_PROBLEMS)
  transfer(@Ctx() ctx: AuthenticatedContext, @Body() body: CreateTransferDto): Promise<TransferResponseDto> {
    return this.wallets.transfer(ctx, body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A wallet with its balance' })
  @ApiOkResponse({ type: WalletResponseDto })
  @ApiAuthenticated('NOT_FOUND')
  get(@Ctx() ctx: AuthenticatedContext, @Param('id', ParseIdPipe) id: string): Promise<WalletResponseDto> {
    return this.wallets.get(ctx, id);
  }

  @Get(':id/transactions')
  @ApiOperation({ summary: 'The wallet’s entries, newest first' })
  @ApiOkResponse({ type: WalletTransactionPageDto })
  @ApiAuthenticated('NOT_FOUND')
  transactions(@Ctx() ctx: AuthenticatedContext, @Param('id', ParseIdPipe) id: string, @Query() query: PageQueryDto) {
    return this.wallets.transactions(ctx, id, query);
  }

  @Post(':id/credit')
  @HttpCode(201)
  @Roles('admin')
  @Idempotent()
  @Audit('WALLET_CREDIT', { resource: 'wallet' })
  @ApiOperation({ summary: 'Fund a wallet from the tenant’s external account (admin)' })
  @ApiCreatedResponse({ type: WalletTransactionDto, description: 'The wallet’s new entry' })
  @ApiAuthenticated('FORBIDDEN', 'NOT_FOUND', 'AMOUNT_TOO_LARGE', ...IDEMPOTENCY_PROBLEMS)
  credit(@Ctx() ctx: AuthenticatedContext, @Param('id', ParseIdPipe) id: string, @Body() body: AmountDto): Promise<WalletTransactionDto> {
    return this.wallets.credit(ctx, id, body);
  }

  @Post(':id/debit')
  @HttpCode(201)
  @Roles('admin')
  @Idempotent()
  @Audit('WALLET_DEBIT', { resource: 'wallet' })
  @ApiOperation({ summary: 'Take money out of a wallet to the tenant’s external account (admin)' })
  @ApiCreatedResponse({ type: WalletTransactionDto, description: 'The wallet’s new entry' })
  @ApiAuthenticated('FORBIDDEN', 'NOT_FOUND', 'INSUFFICIENT_FUNDS', ...IDEMPOTENCY_PROBLEMS)
  debit(@Ctx() ctx: AuthenticatedContext, @Param('id', ParseIdPipe) id: string, @Body() body: AmountDto): Promise<WalletTransactionDto> {
    return this.wallets.debit(ctx, id, body);
  }
}
