/**
 * A chat room (the seed's example): members are actors that join the
 * room's process group; a post is checked with the per-user rate limiter,
 * kept in a bounded history and broadcast to the group.
 *
 *   npx plexspaces build examples/chat/chat-room.ts -o examples/chat/chat_room.wasm
 */
import { host, PlexSpacesActor } from 'plexspaces/sdk';
import { scopedId } from './scoped-id.js';

interface Post {
  user: string;
  text: string;
  at: number;
}

interface Room {
  name: string;
  maxHistory: number;
  history: Post[];
}

export default class ChatRoom extends PlexSpacesActor<Room> {
  getDefaultState(): Room {
    return { name: 'lobby', maxHistory: 100, history: [] };
  }

  override onInit(config: { room?: string; max_history?: string }): void {
    this.state.name = config.room ?? 'lobby';
    if (config.max_history !== undefined) this.state.maxHistory = Number(config.max_history);
  }

  private get group(): string {
    return `room:${this.state.name}`;
  }

  onPost({ user, text }: { user: string; text: string }) {
    if (typeof user !== 'string' || typeof text !== 'string' || text.length === 0) throw new Error('a post needs a user and a text');
    const verdict = host.ask<{ allowed: boolean; retry_after_ms?: number }>(scopedId('rate-limiter'), 'check', { user });
    if (!verdict.allowed) return { delivered: 0, rate_limited: true, retry_after_ms: verdict.retry_after_ms };
    const post = { user, text, at: host.nowMs() };
    this.state.history.push(post);
    if (this.state.history.length > this.state.maxHistory) this.state.history.shift();
    return { delivered: host.pgBroadcast(this.group, 'message', post) };
  }

  onHistory() {
    return { room: this.state.name, history: this.state.history };
  }
}
