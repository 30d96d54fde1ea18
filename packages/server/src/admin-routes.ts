import type { FastifyInstance, FastifyRequest } from 'fastify';
import { adapterRequest } from './api-schemas.js';
import { ApiError } from './errors.js';
import { parse } from './route-helpers.js';
import type { RouteHost } from './route-host.js';

/** `/admin/adapters`: list, load (or reload) and unload LoRA adapters without a restart; admin keys only. */
export function adminRoutes(app: FastifyInstance, server: RouteHost): void {
  const caller = (request: FastifyRequest) => server.caller(request);
  // Adapters without a restart.
  const admin = (request: FastifyRequest) => {
    const who = caller(request);
    if (!who.admin)
      throw new ApiError(403, 'permission_error', 'admin_only', `key "${who.name}" may not manage adapters`);
    return who;
  };
  app.get('/admin/adapters', async (request) => {
    admin(request);
    return {
      adapters: [...server.engineMap].flatMap(([model, engine]) =>
        engine.adapters().map((name) => ({ model, name })),
      ),
    };
  });
  app.post('/admin/adapters', async (request) => {
    const who = admin(request);
    const body = parse(adapterRequest, request.body);
    const { engine } = server.resolve(body.model, undefined, who);
    try {
      await engine.loadAdapter(body.name, body.path, body.scale);
    } catch (error) {
      throw new ApiError(
        400,
        'invalid_request_error',
        'adapter_load_failed',
        `adapter ${body.path} did not load: ${(error as Error).message}`,
        'path',
      );
    }
    return { loaded: `${body.model}+${body.name}` };
  });
  app.delete('/admin/adapters/:model/:name', async (request) => {
    const who = admin(request);
    const { model, name } = request.params as { model: string; name: string };
    const { engine } = server.resolve(model, undefined, who);
    if (!(await engine.unloadAdapter(name)))
      throw new ApiError(
        404,
        'invalid_request_error',
        'adapter_not_found',
        `adapter "${name}" is not loaded for "${model}"`,
      );
    return { unloaded: `${model}+${name}` };
  });
}
