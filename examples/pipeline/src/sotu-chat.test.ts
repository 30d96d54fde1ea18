import { describe, expect, it } from 'vitest';
import { sotuAddresses } from './default-corpus.js';
import { sotuChats } from './sotu-chat.js';

describe('chat data derived from the State of the Union data set', () => {
  const addresses = sotuAddresses();
  const chats = sotuChats(addresses);

  it('has a few hundred pairs, each answer checked against the data set row it names', () => {
    // 233 addresses over 231 years; 1953 and 1961 had two presidents each and are left out: 229 name
    // questions, and a party question for each year whose president had a party (not Washington's 8).
    expect(addresses.length).toBe(233);
    expect(chats.filter((chat) => chat.provenance.field === 'name').length).toBe(229);
    expect(chats.length).toBeGreaterThan(400);
    for (const chat of chats) {
      const { year, field } = chat.provenance;
      const rows = addresses.filter((address) => address.year === year);
      expect(new Set(rows.map((row) => row.name)).size, `${year}`).toBe(1);
      const [question, answer] = chat.messages.map((message) => message.content);
      expect(question).toContain(String(year));
      expect(answer!.startsWith(rows[0]!.name)).toBe(true);
      if (field === 'party') expect(answer).toBe(`${rows[0]!.name} belonged to the ${rows[0]!.party} party.`);
      else expect(answer).toBe(`${rows[0]!.name} gave the ${year} address.`);
    }
  });

  it('spot checks: 1862 was Lincoln, a Republican; 1961 is left out', () => {
    const about = (year: number) =>
      chats.filter((chat) => chat.provenance.year === year).map((chat) => chat.messages[1]!.content);
    expect(about(1862)).toEqual([
      'Abraham Lincoln gave the 1862 address.',
      'Abraham Lincoln belonged to the Republican party.',
    ]);
    expect(about(1961)).toEqual([]);
  });
});
