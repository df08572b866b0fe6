/**
 * A chat member (a virtual actor, `member:<name>`): joins a room's process
 * group and keeps what the room broadcasts in an inbox.
 *
 *   npx plexspaces build examples/chat/chat-member.ts -o examples/chat/chat_member.wasm
 */
import { host, PlexSpacesActor } from 'plexspaces/sdk';

interface Member {
  rooms: string[];
  inbox: { user: string; text: string }[];
}

export default class ChatMember extends PlexSpacesActor<Member> {
  getDefaultState(): Member {
    return { rooms: [], inbox: [] };
  }

  onJoin({ room }: { room: string }) {
    // Membership ends by itself when this actor exits (crash, stop or deactivation).
    host.pgJoin(`room:${room}`);
    if (!this.state.rooms.includes(room)) this.state.rooms.push(room);
    return { joined: room };
  }

  onMessage(post: { user: string; text: string }) {
    this.state.inbox.push({ user: post.user, text: post.text });
  }

  onInbox() {
    return { inbox: this.state.inbox };
  }
}
