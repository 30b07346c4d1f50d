import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated } from '../../common/decorators/api-problems.decorator';
import { Ctx } from '../../common/decorators/ctx.decorator';
import { Roles } from '../../common/decorators/roles.decorator';
import { ConditionalGet } from '../../common/http/conditional-get';
import { ApiNoBody, NoBody } from '../../common/pipes/no-body.pipe';
import { ParseIdPipe } from '../../common/pipes/parse-id.pipe';
import { AuthenticatedContext } from '../../common/request-context/request-context';
import { Audit } from '../audit/audit.decorator';
import { IDEMPOTENCY_PROBLEMS, Idempotent } from '../idempotency/idempotent.decorator';
import { CheckoutService } from './checkout.service';
import { CheckoutDto, OrderDto, OrderPageDto, OrderQueryDto, OrderStatusDto } from './dto/order.dto';
import { OrdersService } from './orders.service';

@ApiTags('orders')
@Controller('svm/orders')
export class OrdersController {
  constructor(
    private readonly checkoutService: CheckoutService,
    private readonly orders: OrdersService,
  ) {}

  @Post()
  @HttpCode(201)
  @Idempotent()
  @Audit('ORDER_CREATE', { resource: 'order' })
  @ApiOperation({ summary: 'Check out the caller’s cart, paid from one of the caller’s wallets' })
  @ApiCreatedResponse({ type: OrderDto })
  @ApiAuthenticated('NOT_FOUND', 'CART_EMPTY', 'OUT_OF_STOCK', 'INSUFFICIENT_FUNDS', 'CURRENCY_MISMATCH', 'AMOUNT_TOO_LARGE', ...IDEMPOTENCY_PROBLEMS)
  checkout(@Ctx() ctx: AuthenticatedContext, @Body() body: CheckoutDto) {
    return this.checkoutService.checkout(ctx, body);
  }

  @Get()
  @ApiOperation({ summary: 'Orders, newest first (members: their own; admins: the tenant’s)' })
  @ApiOkResponse({ type: OrderPageDto })
  @ApiAuthenticated()
  list(@Ctx() ctx: AuthenticatedContext, @Query() query: OrderQueryDto) {
    return this.orders.list(ctx, query);
  }

  @Get(':id')
  @ConditionalGet()
  @ApiOperation({ summary: 'One order with its lines' })
  @ApiOkResponse({ type: OrderDto })
  @ApiAuthenticated('NOT_FOUND')
  get(@Ctx() ctx: AuthenticatedContext, @Param('id', ParseIdPipe) id: string) {
    return this.orders.get(ctx, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Idempotent()
  @Audit('ORDER_CANCEL', { resource: 'order' })
  @ApiOperation({ summary: 'Cancel a PAID order: refund its wallet and restore the stock (buyer or admin)' })
  @ApiOkResponse({ type: OrderDto })
  @ApiNoBody()
  @ApiAuthenticated('NOT_FOUND', 'INVALID_TRANSITION', 'AMOUNT_TOO_LARGE', ...IDEMPOTENCY_PROBLEMS)
  cancel(@Ctx() ctx: AuthenticatedContext, @Param('id', ParseIdPipe) id: string, @NoBody() _body: undefined) {
    return this.orders.cancel(ctx, id);
  }

  @Patch(':id/status')
  @Roles('admin')
  @Audit('ORDER_STATUS_CHANGE', { resource: 'order' })
  @ApiOperation({ summary: 'Move an order along PAID → FULFILLED → DELIVERED (admin)' })
  @ApiOkResponse({ type: OrderDto })
  @ApiAuthenticated('FORBIDDEN', 'NOT_FOUND', 'INVALID_TRANSITION')
  updateStatus(@Ctx() ctx: AuthenticatedContext, @Param('id', ParseIdPipe) id: string, @Body() body: OrderStatusDto) {
    return this.orders.updateStatus(ctx, id, body.status);
  }
}
