// The consultation room: the case, chat with images (no message lost across reconnects), a
// WebRTC call signalled through /consult (media goes peer to peer), the specialist's opinion.
(function () {
  "use strict";
  var S = ui.S, el = ui.el;
  var room = document.getElementById("room");
  var id = Number(room.dataset.consultationId);
  var me = Number(room.dataset.userId);
  var log = document.getElementById("log");
  var state = { lastSeq: 0, lastRead: 0, seen: {}, consultation: null, pc: null, stream: null, ice: [] };
  var socket = io("/consult", { transports: ["websocket"], autoConnect: false });

  // --- the case and its state ----------------------------------------------------------------
  function showConsultation(c) {
    state.consultation = c;
    document.getElementById("state").textContent = S["state_" + c.state] || c.state;
    var s = c.summary || {}, who = s.patient || {};
    var rows = [
      [S.reason, c.reason],
      [S.patient, [S["sex_" + who.sex] || "", who.age !== undefined ? who.age + S.years : ""].join(" ")],
      [S.complaint, s.chief_complaint],
      [S.vitals, Object.keys(s.vitals || {}).filter(function (k) { return s.vitals[k] !== null; })
        .map(function (k) { return (S["vital_" + k] || k) + " " + s.vitals[k]; }).join("，")],
      [S.allergies, (s.drug_allergies || []).join("、")],
      [S.current_medicines, (s.medicines || []).map(medicineText).join("；") || (s.medicines ? S.none : "")],
      [S.programs, (s.programs || []).map(programText).join("；") || (s.programs ? S.none : "")],
      [S.differential, (c.summary.differential || []).join("、")],
    ].filter(function (r) { return r[1]; });
    ui.replace(document.getElementById("summary"), el("dl", { class: "facts" }, [].concat.apply([], rows.map(function (r) {
      return [el("dt", { text: r[0] }), el("dd", { text: r[1] })];
    }))));
    if (c.opinion) showOpinion(c);
    var closed = ["closed", "cancelled", "expired"].indexOf(c.state) >= 0;
    document.querySelectorAll("#send button, #send input, #image, #opinion button, #call-video, #call-audio").forEach(function (n) { n.disabled = closed; });
    if (closed && state.pc) hangup();  // no call outlives the consultation
    if (closed) document.getElementById("hangup").disabled = true;
  }

  // "氨氯地平片 5 mg 每次 5 mg 每日一次" — the drug, its strength, how it is taken.
  function medicineText(m) {
    return ui.text(m.name) + " " + m.strength + " " + S.each_dose + " " + m.dose + " " + m.dose_unit + " " + ui.text(m.frequency_name);
  }

  // "高血压（控制不满意，上次 158/96，2026-12-01）"
  function programText(p) {
    var bits = [];
    if (p.classification_name) bits.push(ui.text(p.classification_name));
    if (p.last_sbp !== null && p.last_sbp !== undefined) bits.push(S.bp + " " + p.last_sbp + "/" + p.last_dbp);
    if (p.last_fasting_glucose !== null && p.last_fasting_glucose !== undefined) bits.push(S.glucose + " " + p.last_fasting_glucose);
    if (p.last_follow_up_on) bits.push(S.last_follow_up + " " + p.last_follow_up_on);
    return ui.text(p.name) + (bits.length ? "（" + bits.join("，") + "）" : "");
  }

  function showOpinion(c) {
    var o = c.opinion;
    // The requesting doctor has now seen it: no "new opinion" marker on today's list any more.
    if (c.requested_by_id === me && !state.opinionRead) {
      state.opinionRead = true;
      gpassist.call("POST", "/api/v1/consultations/" + id + "/opinion-read").catch(function () {});
    }
    document.getElementById("result-card").hidden = false;
    ui.replace(document.getElementById("result"), el("dl", { class: "facts" }, [
      el("dt", { text: S.assessment }), el("dd", { text: o.assessment }),
      el("dt", { text: S.advice }), el("dd", { text: o.advice }),
      el("dt", { text: S.rx_advice }), el("dd", { text: o.prescription_advice || S.none }),
      el("dt", { text: S.referral }), el("dd", { text: o.refer ? S.yes : S.no }),
    ]));
  }

  // --- messages ------------------------------------------------------------------------------
  function addMessage(m) {
    if (state.seen[m.seq]) return;  // a message can arrive both in the join ack and as an event
    state.seen[m.seq] = true;
    state.lastSeq = Math.max(state.lastSeq, m.seq);
    var body = m.kind === "attachment"
      ? el("img", { src: "/api/v1/consultations/" + id + "/attachments/" + m.attachment_id, alt: S.image, class: "attachment" })
      : el("span", { text: m.text });
    var item = el("li", { class: m.sender_id === me ? "mine" : "theirs", "data-seq": m.seq }, [
      el("span", { class: "who", text: (m.sender_id === me ? S.me : S.them) + " " + m.sent_at.slice(11, 16) }), body]);
    var after = Array.prototype.find.call(log.children, function (li) { return Number(li.dataset.seq) > m.seq; });
    log.insertBefore(item, after || null);
    log.scrollTop = log.scrollHeight;
    markRead();
  }

  function markRead() {
    if (state.lastSeq <= state.lastRead || document.hidden) return;
    state.lastRead = state.lastSeq;
    socket.emit("read", { consultation_id: id, seq: state.lastSeq }, function () {});
  }

  function join() {
    socket.emit("join", { consultation_id: id, after_seq: state.lastSeq }, function (ack) {
      if (!ack.ok) { gpassist.showProblem(ack.error); return; }
      showConsultation(ack.consultation);
      ack.messages.forEach(addMessage);
    });
  }

  function send(body) {
    body.consultation_id = id;
    body.client_msg_id = gpassist.newKey();
    socket.emit("message", body, function (ack) {
      if (ack.ok) addMessage(ack.message); else gpassist.showProblem(ack.error);
    });
  }

  document.getElementById("send").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = document.getElementById("text");
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ text: text });
  });

  var typingTimer = null;
  document.getElementById("text").addEventListener("input", function () {
    if (typingTimer) return;
    socket.emit("typing", { consultation_id: id, typing: true }, function () {});
    typingTimer = setTimeout(function () { typingTimer = null; }, 2000);
  });

  document.getElementById("image").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (!file) return;
    fetch("/api/v1/consultations/" + id + "/attachments?filename=" + encodeURIComponent(file.name), {
      method: "POST", body: file, credentials: "same-origin",
      headers: { "Content-Type": file.type || "application/octet-stream", "X-CSRFToken": gpassist.csrf, "Accept": "application/json" },
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { gpassist.showProblem(data); return; }
        send({ attachment_id: data.id });
      });
    }, function () { gpassist.showProblem({ title: S.network }); });
    event.target.value = "";
  });

  // --- video ---------------------------------------------------------------------------------
  var callStatus = document.getElementById("call-status");

  function signal(kind, data) {
    socket.emit("signal", { consultation_id: id, kind: kind, data: data }, function (ack) {
      if (!ack.ok) gpassist.showProblem(ack.error);
    });
  }

  function peer() {
    if (state.pc) return state.pc;
    var pc = new RTCPeerConnection({ iceServers: state.ice });
    pc.onicecandidate = function (e) { if (e.candidate) signal("ice", e.candidate.toJSON()); };
    pc.ontrack = function (e) { document.getElementById("remote").srcObject = e.streams[0]; callStatus.textContent = S.in_call; };
    pc.onconnectionstatechange = function () { if (pc.connectionState === "failed") callStatus.textContent = S.call_failed; };
    state.pc = pc;
    document.getElementById("videos").hidden = false;
    document.getElementById("hangup").disabled = false;
    return pc;
  }

  // Camera and microphone; without a camera (or refused) the call goes on with sound only.
  function media(video) {
    var ask = video ? navigator.mediaDevices.getUserMedia({ audio: true, video: true })
      .catch(function () { return navigator.mediaDevices.getUserMedia({ audio: true, video: false }); })
      : navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    return ask.then(function (stream) {
      state.stream = stream;
      document.getElementById("local").srcObject = stream;
      stream.getTracks().forEach(function (t) { peer().addTrack(t, stream); });
    });
  }

  function call(video) {
    if (!navigator.mediaDevices) { gpassist.showProblem({ title: S.need_https }); return; }
    callStatus.textContent = S.calling;
    media(video).then(function () {
      return state.pc.createOffer();
    }).then(function (offer) {
      return state.pc.setLocalDescription(offer).then(function () { signal("offer", { type: offer.type, sdp: offer.sdp }); });
    }).catch(function () { callStatus.textContent = S.no_media; });
  }

  function hangup() {
    if (state.pc) state.pc.close();
    if (state.stream) state.stream.getTracks().forEach(function (t) { t.stop(); });
    state.pc = null; state.stream = null;
    document.getElementById("hangup").disabled = true;
    callStatus.textContent = S.call_ended;
  }

  socket.on("signal", function (msg) {
    if (msg.consultation_id !== id) return;
    if (msg.kind === "offer") {
      callStatus.textContent = S.incoming_call;
      var pc = peer();
      pc.setRemoteDescription(msg.data).then(function () {
        return navigator.mediaDevices ? media(true).catch(function () {}) : null;
      }).then(function () { return pc.createAnswer(); }).then(function (answer) {
        return pc.setLocalDescription(answer).then(function () { signal("answer", { type: answer.type, sdp: answer.sdp }); });
      });
    } else if (msg.kind === "answer" && state.pc) {
      state.pc.setRemoteDescription(msg.data);
    } else if (msg.kind === "ice" && state.pc) {
      state.pc.addIceCandidate(msg.data).catch(function () {});
    }
  });

  document.getElementById("call-video").addEventListener("click", function () { call(true); });
  document.getElementById("call-audio").addEventListener("click", function () { call(false); });
  document.getElementById("hangup").addEventListener("click", hangup);

  // --- the opinion ---------------------------------------------------------------------------
  var opinion = document.getElementById("opinion");
  if (opinion) {
    opinion.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { consultation_id: id, opinion: {
        assessment: document.getElementById("o-assessment").value.trim(),
        advice: document.getElementById("o-advice").value.trim(),
        refer: document.getElementById("o-refer").checked,
      } };
      var rx = document.getElementById("o-rx").value.trim();
      if (rx) body.opinion.prescription_advice = rx;
      socket.emit("close", body, function (ack) {
        if (ack.ok) showConsultation(ack.consultation); else gpassist.showProblem(ack.error);
      });
    });
  }

  // --- wiring --------------------------------------------------------------------------------
  var typingNote = document.getElementById("typing"), typingClear = null;
  socket.on("message", function (m) { if (m.consultation_id === id) addMessage(m); });
  socket.on("typing", function (t) {
    if (t.consultation_id !== id || t.user_id === me) return;
    typingNote.textContent = t.typing ? S.typing : "";
    clearTimeout(typingClear);
    typingClear = setTimeout(function () { typingNote.textContent = ""; }, 4000);
  });
  socket.on("consultation", function (payload) { if (payload.consultation.id === id) showConsultation(payload.consultation); });
  socket.on("connect", join);  // and again after every reconnect: join sends what was missed
  document.addEventListener("visibilitychange", markRead);

  gpassist.call("GET", "/api/v1/consultations/ice-servers").then(function (ice) {
    state.ice = ice.ice_servers;
  }).finally(function () { socket.connect(); });
})();
