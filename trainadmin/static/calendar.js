/* « Planning »: the FullCalendar month / week / day views of every slot date.
 *
 * The dates come from the server for the range shown (events_view, lean arrays); a date dragged
 * or stretched is posted to move_view, which saves it through the planning editor's service: the
 * server decides, a refusal snaps the date back and says why. A session with participants asks
 * for the reason and the « ne pas envoyer » choice first, as the planning editor does. */
(function () {
  "use strict";
  var DRAFT = 1, CANCELLED = 2, PARTICIPANTS = 4, ROOM_CLASH = 8, TRAINER_CLASH = 16;
  var PALETTE = 12;
  var configNode = document.getElementById("calendar-config");
  var element = document.getElementById("calendar");
  if (!configNode || !element || typeof FullCalendar === "undefined") return;
  var config = JSON.parse(configNode.textContent);
  var texts = config.texts;
  // The most dates a day the server sends for each view: the rest is « +N autres », a link to the day.
  var PER_DAY = config.perDay;
  // The first range was asked for by the page itself (<link rel="preload">): the same address.
  var preloaded = config.initialEvents;
  var message = document.getElementById("calendar-message");
  var loading = document.getElementById("calendar-loading");
  var dialog = document.getElementById("move-dialog");

  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function show(text, tone) {
    message.textContent = text;
    message.className = "alert alert-" + tone;
    message.setAttribute("role", tone === "danger" ? "alert" : "status");
  }

  function toEvent(row, fields, trainings) {
    var e = {};
    fields.forEach(function (name, i) { e[name] = row[i]; });
    var flags = e.flags;
    var locked = (flags & PARTICIPANTS) && !config.mayUnlock;
    var cancelled = flags & CANCELLED;
    var classes = ["ta-training-" + (e.training % PALETTE), "ta-status-" + e.status];
    if (flags & DRAFT) classes.push("ta-event-draft");
    if (cancelled) classes.push("ta-event-cancelled");
    if (flags & (ROOM_CLASH | TRAINER_CLASH)) classes.push("ta-event-clash");
    return {
      id: String(e.id),
      start: e.day + "T" + e.start,
      end: e.day + "T" + e.end,
      title: e.code + " — " + e.label,
      url: config.sessionUrl + "&id=" + e.session + "&open=" + e.sequence,
      classNames: classes,
      editable: Boolean(config.mayWrite && !cancelled && !locked),
      extendedProps: {
        flags: flags, room: e.room, trainers: e.trainers, trainerClashes: e.trainer_clashes,
        training: trainings[e.training] || "", code: e.code, rank: 0
      }
    };
  }

  function clashTexts(props) {
    var lines = [];
    if (props.flags & ROOM_CLASH) lines.push(fill(texts.roomClash, { room: props.room }));
    if (props.flags & TRAINER_CLASH) lines.push(fill(texts.trainerClash, { trainers: props.trainerClashes }));
    return lines;
  }

  function badge(text, className, icon) {
    var node = document.createElement("span");
    node.className = "ta-event-badge " + className;
    if (icon) {
      var i = document.createElement("i");
      i.className = "fa " + icon;
      i.setAttribute("aria-hidden", "true");
      node.appendChild(i);
      node.appendChild(document.createTextNode(" "));
    }
    node.appendChild(document.createTextNode(text));
    return node;
  }

  function content(arg) {
    var props = arg.event.extendedProps;
    if (props.more) return { domNodes: [document.createTextNode(arg.event.title)] };
    var box = document.createElement("div");
    box.className = "ta-event-content";
    if (props.flags & DRAFT) {
      var hatch = document.createElement("span");
      hatch.className = "ta-draft-hatch";
      hatch.setAttribute("aria-hidden", "true");
      box.appendChild(hatch);
      box.className += " ta-has-hatch";
    }
    if (props.flags & (ROOM_CLASH | TRAINER_CLASH)) box.appendChild(badge(texts.clash, "ta-badge-clash", "fa-exclamation-triangle"));
    if (props.flags & DRAFT) box.appendChild(badge(texts.draft, "ta-badge-draft"));
    if (props.flags & CANCELLED) box.appendChild(badge(texts.cancelled, "ta-badge-cancelled"));
    if (props.flags & PARTICIPANTS) {
      var lock = document.createElement("i");
      lock.className = "fa fa-lock ta-event-lock";
      lock.setAttribute("aria-label", texts.participants);
      box.appendChild(lock);
    }
    var time = document.createElement("span");
    time.className = "ta-event-time";
    time.textContent = arg.timeText + " ";
    box.appendChild(time);
    var title = document.createElement("span");
    title.className = "ta-event-title";
    title.textContent = arg.event.title;
    box.appendChild(title);
    return { domNodes: [box] };
  }

  function mounted(arg) {
    var props = arg.event.extendedProps;
    if (props.more) return;
    var lines = [arg.event.title, texts.training + " : " + props.training];
    if (props.room) lines.push(texts.room + " : " + props.room);
    if (props.trainers) lines.push(texts.trainers + " : " + props.trainers);
    arg.el.title = lines.concat(clashTexts(props)).join("\n");
    arg.el.setAttribute("data-slot-date", arg.event.id);
  }

  function wallClock(date) {
    // timeZone "UTC": the ISO text is the slot's own wall-clock day and hours.
    var text = date.toISOString();
    return { day: text.slice(0, 10), time: text.slice(11, 16) };
  }

  var pending = null;

  function ask(info, refusal) {
    var event = info.event;
    var start = wallClock(event.start);
    var end = wallClock(event.end || event.start);
    pending = { info: info, start: start, end: end, refusal: refusal };
    document.getElementById("move-dialog-what").textContent = fill(texts.moveWhat, {
      session: event.extendedProps.code, day: start.day.split("-").reverse().join("/"),
      start: start.time, end: end.time
    });
    var withReason = Boolean(event.extendedProps.flags & PARTICIPANTS);
    dialog.querySelectorAll('[data-part="reason"]').forEach(function (part) { part.classList.toggle("d-none", !withReason); });
    dialog.querySelectorAll('[data-part="override"]').forEach(function (part) { part.classList.toggle("d-none", !refusal); });
    document.getElementById("move-dialog-refusal").textContent = refusal || "";
    dialog.showModal();
    (refusal ? document.getElementById("move-override_reason") : document.getElementById("move-change_reason")).focus();
  }

  function post(info, start, end, extra) {
    var body = {
      slot_date: info.event.id, day: start.day, start: start.time, end: end.time,
      change_reason: extra.change_reason || "", no_calendar_update: Boolean(extra.no_calendar_update),
      override_reason: extra.override_reason || ""
    };
    fetch(config.moveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": config.csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false, error: texts.failed }; });
    }).then(function (answer) {
      if (answer.ok) {
        show([answer.message].concat(answer.warnings || []).join(" "), answer.warnings && answer.warnings.length ? "warning" : "success");
        calendar.refetchEvents();
        return;
      }
      if (!extra.retry) info.revert();
      show(answer.error || texts.failed, "danger");
      if (answer.may_override && config.mayUnlock) ask(info, answer.error);
    }).catch(function () {
      if (!extra.retry) info.revert();
      show(texts.failed, "danger");
    });
  }

  function moved(info) {
    if (info.event.extendedProps.flags & PARTICIPANTS) {
      ask(info, null);
      return;
    }
    post(info, wallClock(info.event.start), wallClock(info.event.end || info.event.start), {});
  }

  document.getElementById("move-cancel").addEventListener("click", function () {
    if (pending && !pending.refusal) pending.info.revert();
    pending = null;
    dialog.close();
  });
  dialog.addEventListener("cancel", function () {
    if (pending && !pending.refusal) pending.info.revert();
    pending = null;
  });
  document.getElementById("move-form").addEventListener("submit", function (submitted) {
    submitted.preventDefault();
    if (!pending) return;
    var form = submitted.target;
    var withReason = Boolean(pending.info.event.extendedProps.flags & PARTICIPANTS);
    var reason = form.elements.change_reason.value.trim();
    if (withReason && !reason) {
      form.elements.change_reason.setCustomValidity(texts.reasonNeeded);
      form.elements.change_reason.reportValidity();
      return;
    }
    form.elements.change_reason.setCustomValidity("");
    var current = pending;
    pending = null;
    dialog.close();
    post(current.info, current.start, current.end, {
      change_reason: reason,
      no_calendar_update: form.elements.no_calendar_update.checked,
      override_reason: current.refusal ? form.elements.override_reason.value.trim() : "",
      retry: Boolean(current.refusal)
    });
  });

  document.querySelectorAll('#colour-switch input[name="colour"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      element.classList.toggle("ta-colour-training", radio.value === "training" && radio.checked);
      element.classList.toggle("ta-colour-status", radio.value === "status" && radio.checked);
    });
  });

  var calendar = new FullCalendar.Calendar(element, {
    locale: config.locale,
    timeZone: "UTC",
    firstDay: 1,
    initialView: config.initialView,
    initialDate: config.initialDate,
    headerToolbar: { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,timeGridDay,listWeek" },
    // The locale calls the list « Planning », the page's own name.
    views: { listWeek: { buttonText: config.texts.list } },
    height: "auto",
    allDaySlot: true,
    allDayContent: "",
    eventAllow: function (drop) { return !drop.allDay; },
    eventOrder: "rank,start,title",
    lazyFetching: false,
    slotMinTime: "07:00:00",
    slotMaxTime: "21:00:00",
    nowIndicator: true,
    navLinks: true,
    dayMaxEvents: false,
    eventDisplay: "block",
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    editable: Boolean(config.mayWrite),
    eventStartEditable: Boolean(config.mayWrite),
    eventDurationEditable: Boolean(config.mayWrite),
    eventContent: content,
    eventDidMount: mounted,
    eventDrop: moved,
    eventResize: moved,
    datesSet: function (info) {
      // The filters' form keeps the period shown: applying a filter stays on it.
      var keepDate = document.querySelector('#calendar-filters [data-keep="date"]');
      var keepView = document.querySelector('#calendar-filters [data-keep="view"]');
      if (keepDate) keepDate.value = calendar ? calendar.getDate().toISOString().slice(0, 10) : config.initialDate;
      if (keepView) keepView.value = info.view.type;
    },
    loading: function (busy) { loading.classList.toggle("d-none", !busy); },
    events: function (range, success, failure) {
      var params = new URLSearchParams(config.filters);
      params.set("start", range.startStr.slice(0, 10));
      params.set("end", range.endStr.slice(0, 10));
      // The view being drawn is told by the length of its range (a day, a week, six weeks).
      var days = Math.round((range.end - range.start) / 86400000);
      var perDay = days <= 1 ? PER_DAY.timeGridDay : days <= 7 ? PER_DAY.timeGridWeek : PER_DAY.dayGridMonth;
      params.set("per_day", String(perDay));
      var address = config.eventsUrl + "?" + params.toString();
      if (preloaded && preloaded.start === params.get("start") && preloaded.end === params.get("end") && preloaded.perDay === perDay) {
        address = preloaded.url;
      }
      preloaded = null;
      fetch(address, { credentials: "include" })
        .then(function (response) { return response.json().then(function (data) { return { status: response.status, data: data }; }); })
        .then(function (answer) {
          if (answer.status !== 200) {
            show(answer.data.error || texts.loadFailed, "danger");
            failure(new Error(answer.data.error || "calendar"));
            return;
          }
          var fields = answer.data.fields, trainings = answer.data.trainings;
          var shown = answer.data.events.map(function (row) { return toEvent(row, fields, trainings); });
          Object.keys(answer.data.more).forEach(function (day) {
            shown.push({
              id: "more-" + day, start: day, allDay: true, editable: false, display: "block",
              title: fill(texts.more, { num: answer.data.more[day] }), classNames: ["ta-event-more"],
              url: "?" + new URLSearchParams(Object.assign({}, config.filters, { date: day, view: "timeGridDay" })).toString(),
              extendedProps: { more: true, rank: 1 }
            });
          });
          success(shown);
          element.setAttribute("data-loaded", String(answer.data.events.length));
        })
        .catch(function (error) { show(texts.loadFailed, "danger"); failure(error); });
    }
  });
  calendar.render();
  window.trainadminCalendar = calendar;
})();
