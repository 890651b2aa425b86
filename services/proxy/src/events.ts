import type http from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import type { Controller } from './controller.js';
import type { ProxyEvent } from './views.js';

/**
 * `/ws`: every ProxyEvent, as one JSON text message, to every subscriber. On
 * connect a subscriber first gets `{ type: "hello", status }` (the current
 * state), so a page needs no separate fetch. Subscribers only listen:
 * anything they send is ignored. A subscriber that stops reading is dropped
 * once 1 MiB is queued for it, so it cannot grow the proxy's memory.
 */
export class EventHub {
  private readonly wss: WebSocketServer;
  private readonly onEvent = (e: ProxyEvent) => this.broadcast(e);

  constructor(
    server: http.Server,
    private readonly controller: Controller,
  ) {
    this.wss = new WebSocketServer({ server, path: '/ws', maxPayload: 4096 });
    this.wss.on('connection', (ws) => {
      ws.on('error', () => ws.terminate());
      ws.send(JSON.stringify({ type: 'hello', time: new Date().toISOString(), status: controller.status() }));
    });
    controller.on('event', this.onEvent);
  }

  get subscribers(): number {
    return this.wss.clients.size;
  }

  private broadcast(e: ProxyEvent): void {
    const text = JSON.stringify(e);
    for (const ws of this.wss.clients) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (ws.bufferedAmount > 1024 * 1024) ws.terminate();
      else ws.send(text);
    }
  }

  close(): Promise<void> {
    this.controller.off('event', this.onEvent);
    for (const ws of this.wss.clients) ws.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}
