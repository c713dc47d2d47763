// A run's task runs as typed columns: decoded from the binary /columns answer (see columns.py),
// then kept up to date from the live stream's "tasks" events. The Gantt and the compare page
// read it; nothing here knows how it is drawn.

const TYPES = { f64: Float64Array, u32: Uint32Array };

function grow(array, size) {
  const bigger = new array.constructor(size);
  bigger.set(array.subarray(0, Math.min(array.length, size)));
  return bigger;
}

export class TaskTable {
  constructor(buffer) {
    const view = new DataView(buffer);
    const magic = String.fromCharCode(...new Uint8Array(buffer, 0, 4));
    if (magic !== "DFC1") throw new Error("the column data is not in the DFC1 format");
    const length = view.getUint32(4, true);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, length)));
    const cols = {};
    for (const [name, type, offset, n] of header.columns) cols[name] = new TYPES[type](buffer, offset, n);
    this.header = header;
    this.t0 = header.t0;
    this.lastId = header.last_id;
    this.count = header.count;
    this.tasks = header.tasks.slice();
    this.workers = header.workers.slice();
    this.states = header.states.slice();
    this.taskIndex = new Map(this.tasks.map((t, i) => [t, i]));
    this.workerIndex = new Map(this.workers.map((w, i) => [w, i]));
    this.stateIndex = new Map(this.states.map((s, i) => [s, i]));
    const capacity = Math.max(1024, this.count);
    const copy = (src, Type) => {
      const out = new Type(capacity);
      out.set(src);
      return out;
    };
    this.id = copy(cols.id, Float64Array);
    this.start = copy(cols.start, Float64Array);
    this.end = copy(cols.end, Float64Array);
    this.attempt = copy(cols.attempt, Uint32Array);
    this.task = copy(cols.task, Uint32Array);
    this.worker = copy(cols.worker, Uint32Array);
    this.state = copy(cols.state, Uint8Array);
    this.retryRow = Array.from(cols.retry_row);
    this.retryTs = Array.from(cols.retry_ts);
    this.rowOf = new Map();
    for (let i = 0; i < this.count; i++) this.rowOf.set(this.id[i], i);
    this.version = 0;
  }

  static index(map, list, value) {
    let i = map.get(value);
    if (i === undefined) {
      i = list.length;
      list.push(value);
      map.set(value, i);
    }
    return i;
  }

  ensure(size) {
    if (size <= this.id.length) return;
    const capacity = Math.max(size, this.id.length * 2);
    for (const name of ["id", "start", "end", "attempt", "task", "worker", "state"]) this[name] = grow(this[name], capacity);
  }

  // rows: arrays in serialize.TASK_FIELDS order (id, key, task, name, state, start, end, attempt, worker).
  upsert(rows, retries) {
    this.ensure(this.count + rows.length);
    for (const [id, , task, , state, start, end, attempt, worker] of rows) {
      let i = this.rowOf.get(id);
      if (i === undefined) {
        i = this.count++;
        this.rowOf.set(id, i);
        this.id[i] = id;
      }
      this.start[i] = start === null ? NaN : start - this.t0;
      this.end[i] = end === null ? NaN : end - this.t0;
      this.attempt[i] = Math.max(attempt || 1, 1);
      this.task[i] = TaskTable.index(this.taskIndex, this.tasks, task);
      this.worker[i] = TaskTable.index(this.workerIndex, this.workers, worker);
      this.state[i] = TaskTable.index(this.stateIndex, this.states, state);
    }
    for (const [id, ts] of retries || []) {
      const i = this.rowOf.get(id);
      if (i !== undefined) {
        this.retryRow.push(i);
        this.retryTs.push(ts - this.t0);
      }
    }
    this.version++;
  }

  // The latest time anything in the table reached, relative to t0.
  extent() {
    let hi = 0;
    for (let i = 0; i < this.count; i++) {
      const e = this.end[i];
      const s = this.start[i];
      if (e > hi) hi = e;
      else if (s > hi) hi = s;
    }
    return hi;
  }
}
