import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated, ApiProblems } from '../../common/decorators/api-problems.decorator';
import { Ctx } from '../../common/decorators/ctx.decorator';
import { Public } from '../../common/decorators/public.decorator';
import { ApiNoBody, NoBody } from '../../common/pipes/no-body.pipe';
import { AuthenticatedContext, RequestContext } from '../../common/request-context/request-context';
import { AuthService } from './auth.service';
import { LoginDto, MeDto, RefreshDto, TokenPairDto } from './dto/auth.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with tenant (id or slug), e-mail and password' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems('UNAUTHENTICATED')
  login(@Ctx() ctx: RequestContext, @Body() body: LoginDto) {
    return this.auth.login(ctx, body);
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a refresh token for a new pair (the old one stops working)' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiProblems('UNAUTHENTICATED')
  refresh(@Ctx() ctx: RequestContext, @Body() body: RefreshDto) {
    return this.auth.refresh(ctx, body.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke the current session: its access and refresh tokens stop working' })
  @ApiNoContentResponse()
  @ApiNoBody()
  @ApiAuthenticated()
  logout(@Ctx() ctx: AuthenticatedContext, @NoBody() _body: undefined): Promise<void> {
    return this.auth.logout(ctx);
  }

  @Get('me')
  @ApiOperation({ summary: 'Who the access token belongs to' })
  @ApiOkResponse({ type: MeDto })
  @ApiAuthenticated()
  me(@Ctx() ctx: AuthenticatedContext) {
    return this.auth.me(ctx);
  }
}
