// The README's client session: the official openai and ollama clients against lm-stack-serve.
import { Ollama } from 'ollama';
import OpenAI from 'openai';

const openai = new OpenAI({ baseURL: 'http://127.0.0.1:11435/v1', apiKey: 'unused' });
console.log((await openai.models.list()).data.map((model) => model.id));
for (const model of ['sotu', 'sotu+chat']) {
  const reply = await openai.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'Who gave the State of the Union address in 1791?' }],
    temperature: 0,
    max_tokens: 24,
  });
  console.log(model, JSON.stringify(reply.choices[0]!.message.content), reply.usage);
}
const ollama = new Ollama({ host: 'http://127.0.0.1:11435' });
const chat = await ollama.chat({
  model: 'sotu+chat',
  messages: [{ role: 'user', content: 'Which party did the president of the 1948 address belong to?' }],
  options: { temperature: 0, num_predict: 24 },
});
console.log('ollama', JSON.stringify(chat.message.content), `${chat.eval_count} tokens`);
