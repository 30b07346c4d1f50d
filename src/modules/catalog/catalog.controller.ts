import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated } from '../../common/decorators/api-problems.decorator';
import { Ctx } from '../../common/decorators/ctx.decorator';
import { Roles } from '../../common/decorators/roles.decorator';
import { PageQueryDto } from '../../common/pagination/page';
import { ParseIdPipe } from '../../common/pipes/parse-id.pipe';
import { AuthenticatedContext } from '../../common/request-context/request-context';
import { CatalogService } from './catalog.service';
import { CreateProductDto, ProductDto, ProductPageDto, UpdateProductDto } from './dto/product.dto';

@ApiTags('catalog')
@Controller('svm/products')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Post()
  @HttpCode(201)
  @Roles('admin')
  @ApiOperation({ summary: 'Add a product to the tenant’s catalog (admin)' })
  @ApiCreatedResponse({ type: ProductDto })
  @ApiAuthenticated('FORBIDDEN', 'CONFLICT')
  create(@Ctx() ctx: AuthenticatedContext, @Body() body: CreateProductDto) {
    return this.catalog.create(ctx, body);
  }

  @Get()
  @ApiOperation({ summary: 'The tenant’s products, newest first' })
  @ApiOkResponse({ type: ProductPageDto })
  @ApiAuthenticated()
  list(@Ctx() ctx: AuthenticatedContext, @Query() query: PageQueryDto) {
    return this.catalog.list(ctx, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One product' })
  @ApiOkResponse({ type: ProductDto })
  @ApiAuthenticated('NOT_FOUND')
  get(@Ctx() ctx: AuthenticatedContext, @Param('id', ParseIdPipe) id: string) {
    return this.catalog.get(ctx, id);
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOperation({ summary: 'Change a product’s fields (admin)' })
  @ApiOkResponse({ type: ProductDto })
  @ApiAuthenticated('FORBIDDEN', 'NOT_FOUND', 'CONFLICT')
  update(@Ctx() ctx: AuthenticatedContext, @Param('id', ParseIdPipe) id: string, @Body() body: UpdateProductDto) {
    return this.catalog.update(ctx, id, body);
  }
}
