// One side of a consultation with the official Socket.IO JavaScript client (socket.io-client).
// Usage: node consult_peer.js BASE_URL TOKEN CONSULTATION_ID
// It joins, sends a chat message, waits for the other side's reply, places a call offer and
// waits for the answer. Every ack and pushed event is printed as one JSON line; exit 0 on success.
"use strict";
const { io } = require("socket.io-client");

const [base, token, idText] = process.argv.slice(2);
const consultationId = Number(idText);
const print = (what, payload) => console.log(JSON.stringify({ what, payload }));
const fail = (why) => {
  print("failed", String(why));
  process.exit(1);
};
setTimeout(() => fail("timed out"), 30000);

const socket = io(`${base}/consult`, { auth: { token }, transports: ["websocket"], reconnection: false });
const waiting = {};
const next = (event) => new Promise((resolve) => { waiting[event] = resolve; });
for (const event of ["message", "signal", "consultation"]) {
  socket.on(event, (payload) => {
    print(event, payload);
    if (waiting[event]) {
      const resolve = waiting[event];
      delete waiting[event];
      resolve(payload);
    }
  });
}
socket.on("connect_error", (err) => fail(`connect_error: ${JSON.stringify(err.data || err.message)}`));

async function call(event, data) {
  const ack = await socket.timeout(15000).emitWithAck(event, data);
  print(`ack:${event}`, ack);
  if (!ack.ok) fail(`${event} refused`);
  return ack;
}

socket.on("connect", async () => {
  try {
    await call("join", { consultation_id: consultationId, after_seq: 0 });
    const reply = next("message");
    await call("message", { consultation_id: consultationId, client_msg_id: "js-1", text: "你好，我是村医（JS 客户端）" });
    await reply;
    const answer = next("signal");
    await call("signal", { consultation_id: consultationId, kind: "offer", data: { type: "offer", sdp: "v=0\r\ns=js\r\n" } });
    await answer;
    socket.disconnect();
    process.exit(0);
  } catch (err) {
    fail(err);
  }
});
