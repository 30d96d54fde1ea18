// pnpm studio: the studio on http://127.0.0.1:4321 (PORT and LM_STACK_STUDIO_HOME change the port and the
// home folder, default ~/.lm-stack-studio).
import { createStudio } from './app.js';
import { StudioHome } from './studio-home.js';

const port = Number(process.env.PORT ?? 4321);
const home = new StudioHome();
const { app } = await createStudio(home);
const url = await app.listen({ port, host: '127.0.0.1' });
console.log(`lm-stack studio: ${url} (projects in ${home.folder})`);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
