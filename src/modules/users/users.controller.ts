import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated, ApiProblems } from '../../common/decorators/api-problems.decorator';
import { Ctx } from '../../common/decorators/ctx.decorator';
import { Roles } from '../../common/decorators/roles.decorator';
import { PageQueryDto } from '../../common/pagination/page';
import { AuthenticatedContext } from '../../common/request-context/request-context';
import { CreateUserDto, UserPageDto, UserResponseDto } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller('users')
@Roles('admin')
@ApiAuthenticated('FORBIDDEN')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a user in the caller’s tenant (admin)' })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiProblems('CONFLICT')
  create(@Ctx() ctx: AuthenticatedContext, @Body() body: CreateUserDto): Promise<UserResponseDto> {
    return this.users.create(ctx, body);
  }

  @Get()
  @ApiOperation({ summary: 'List the tenant’s users, newest first (admin)' })
  @ApiOkResponse({ type: UserPageDto })
  list(@Ctx() ctx: AuthenticatedContext, @Query() query: PageQueryDto) {
    return this.users.list(ctx, query);
  }
}
