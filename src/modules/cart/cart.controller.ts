import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated } from '../../common/decorators/api-problems.decorator';
import { Ctx } from '../../common/decorators/ctx.decorator';
import { ConditionalGet } from '../../common/http/conditional-get';
import { ApiNoBody, NoBody } from '../../common/pipes/no-body.pipe';
import { ParseIdPipe } from '../../common/pipes/parse-id.pipe';
import { AuthenticatedContext } from '../../common/request-context/request-context';
import { CartService } from './cart.service';
import { AddCartItemDto, CartDto, UpdateCartItemDto } from './dto/cart.dto';

@ApiTags('cart')
@Controller('svm/cart')
export class CartController {
  constructor(private readonly cart: CartService) {}

  @Get()
  @ConditionalGet()
  @ApiOperation({ summary: 'The caller’s cart (an empty one when none)' })
  @ApiOkResponse({ type: CartDto })
  @ApiAuthenticated()
  get(@Ctx() ctx: AuthenticatedContext) {
    return this.cart.get(ctx);
  }

  @Post('items')
  @HttpCode(201)
  @ApiOperation({ summary: 'Add units of a product (adds to an existing line)' })
  @ApiCreatedResponse({ type: CartDto })
  @ApiAuthenticated('NOT_FOUND', 'CURRENCY_MISMATCH', 'CART_LIMIT_EXCEEDED', 'AMOUNT_TOO_LARGE')
  add(@Ctx() ctx: AuthenticatedContext, @Body() body: AddCartItemDto) {
    return this.cart.addItem(ctx, body);
  }

  @Patch('items/:productId')
  @ApiOperation({ summary: 'Set a line’s quantity (0 removes it)' })
  @ApiOkResponse({ type: CartDto })
  @ApiAuthenticated('NOT_FOUND', 'AMOUNT_TOO_LARGE')
  update(@Ctx() ctx: AuthenticatedContext, @Param('productId', ParseIdPipe) productId: string, @Body() body: UpdateCartItemDto) {
    return this.cart.setQuantity(ctx, productId, body.quantity);
  }

  @Delete('items/:productId')
  @ApiOperation({ summary: 'Remove a line' })
  @ApiOkResponse({ type: CartDto })
  @ApiNoBody()
  @ApiAuthenticated('NOT_FOUND')
  remove(@Ctx() ctx: AuthenticatedContext, @Param('productId', ParseIdPipe) productId: string, @NoBody() _body: undefined) {
    return this.cart.removeItem(ctx, productId);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Empty the cart' })
  @ApiNoContentResponse()
  @ApiNoBody()
  @ApiAuthenticated()
  clear(@Ctx() ctx: AuthenticatedContext, @NoBody() _body: undefined): Promise<void> {
    return this.cart.clear(ctx);
  }
}
