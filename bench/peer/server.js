// The peer of the benchmark: a Socket.IO server as a team would write it beside Django.
// Each socket joins its learner's room; a publisher PUBLISHes {"user", "message"} as JSON
// on a Redis channel and the server emits the message to that room. The Redis adapter
// is on, as it must be once there is more than one node.
//
//   node server.js <port> <redis url> <channel>
import { createServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { Server } from "socket.io";

const [port, redisUrl, channel] = process.argv.slice(2);
const pub = createClient({ url: redisUrl });
const sub = pub.duplicate();
const feed = pub.duplicate();
await Promise.all([pub.connect(), sub.connect(), feed.connect()]);

const http = createServer();
const io = new Server(http, { adapter: createAdapter(pub, sub), transports: ["websocket"], perMessageDeflate: false });
io.on("connection", (socket) => {
  socket.join(`learner.${socket.handshake.query.user}`);
});
await feed.subscribe(channel, (raw) => {
  const { user, message } = JSON.parse(raw);
  io.to(`learner.${user}`).emit(message.type, message);
});
http.listen(Number(port), "127.0.0.1", () => console.log(`socket.io peer listening on ${port}`));
