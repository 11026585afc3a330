/*
** task.c -- the engine of brood.task (module brood._task).
**
** A task is a Lua thread that runs on a C stack of its own. When a brood
** call would block inside a task, brood's one blocking point
** (brood_sig_poll) asks the scheduler first (brood_sig_setsuspend): the
** task's C stack is switched away, with everything the call had on it,
** and the scheduler runs the other tasks. When what the task waits for
** is ready, the scheduler switches back and the call goes on where it
** stopped, as if its poll had returned. So every blocking call -- reads,
** writes, accept, wait, sleep, select, the captures written in Lua --
** becomes cooperative inside a task without knowing it, even inside a
** coroutine, a metamethod or a pcall of the task's.
**
** The scheduler waits for all of them in one brood_sig_poll, on an
** epoll descriptor holding the descriptors tasks wait on, beside a heap
** of deadlines; trap handlers run there as they run anywhere else. A
** descriptor stays registered (level-triggered) from its first wait until
** brood closes or replaces it (brood_sig_fdchange, which unregisters it
** while the number still names that file), so a wait costs no system
** call of its own; events no task waits for narrow the registration. A
** registration the number no longer reaches (the descriptor closed by
** code other than brood's while its file lives on elsewhere) shows as an
** event that cannot be narrowed: the epoll set is then made anew. Waits
** on nothing but the wake-up pipe (Signal.pause, a wait for any child)
** are woken when a signal has come.
*/
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#if !defined(__x86_64__)
#include <ucontext.h>
#endif
#include <unistd.h>

#include "process.h"
#include "modules.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define STACK_SIZE (8u << 20)  /* instrumented frames are several times larger */
#else
#define STACK_SIZE (2u << 20)
#endif
#define GUARD 4096u            /* an overflow faults instead of writing over memory */
#define POOL_MAX 64            /* stacks kept for the next tasks */

#define TASK_TYPE "brood.Task"
#define SCOPE_TYPE "brood.task.timeout"
#define RUN_TYPE "brood.task.run"


/*
** {======================================================
** Data
** =======================================================
*/

enum { T_NEW, T_READY, T_RUNNING, T_WAITING, T_DONE };
enum { W_NONE, W_POLL, W_PARK, W_YIELD };
enum { O_NONE, O_OK, O_FAILED, O_CANCELLED };

/*
** A task's saved machine state. On x86-64 a switch is a few
** instructions (callee-saved registers, the stack pointer, the SSE and
** x87 control words: what the ABI keeps across a call); elsewhere
** ucontext, whose swapcontext also saves and restores the signal mask
** -- two system calls per switch.
*/
#if defined(__x86_64__)
typedef struct { void *sp; } Context;
#else
typedef ucontext_t Context;
#endif

typedef struct Task Task;

typedef struct Node {  /* one descriptor a task waits on */
  Task *t;
  int i;               /* its index in the task's pollfd array */
  struct Node *prev, *next;
} Node;

typedef struct Scope {  /* a Task.timeout under way (a userdata) */
  double deadline;
  int fired;
  struct Scope *prev;
  Task *t;
} Scope;

struct Task {
  lua_State *L;          /* its thread: [message handler, results...] */
  Context ctx;
  char *stack;
  void *fake;            /* AddressSanitizer's fake stack while away */
  int state, wait, outcome;
  int cancel;            /* cancellation asked for and not yet raised */
  int cancelraised;      /* ...raised: its error ends it as cancelled */
  int nargs;
  unsigned run;          /* the Task.run it belongs to */
  pid_t pid;             /* the process it was made in */
  /* what it waits for */
  struct pollfd *fds;
  int nfds;
  double deadline;       /* of the wait, Task.timeout's included (-1: none) */
  Node inl[2], *nodes;
  int result;            /* what brood_sig_poll returns to the call */
  size_t heap;           /* index + 1 in the deadline heap; 0: not there */
  Task *next;            /* ready queue */
  Task *wprev, *wnext;   /* waits woken by the wake-up pipe */
  int inwakers;
  lua_State *running;    /* the thread that ran when it was switched away */
  Scope *scope;          /* the innermost Task.timeout */
  Task *joiners;         /* tasks waiting for this one (t:wait) */
  Task *joining, *joinnext;
  char *traceback;       /* of its error */
};

typedef struct Fd {
  unsigned reg;          /* events registered (0: not registered) */
  Node *head;            /* the tasks waiting on it */
} Fd;

static struct {
  int active;            /* a Task.run is under way in this process */
  unsigned run;
  pid_t pid;
  lua_State *L;          /* the thread that called Task.run */
  Context ctx;           /* the scheduler's */
  void *fake;
  const void *stackbottom;  /* the scheduler's stack, for the sanitizer */
  size_t stacksize;
  Task *current;         /* the task running, or NULL: the scheduler */
  Task *rhead, *rtail;
  int nready;
  Task *wakers;
  unsigned long arrivals;  /* brood_sig_arrivals when the wakers were last woken */
  int epfd;
  Fd *fdt;
  int nfdt;
  Task **heap;
  size_t nheap, capheap;
  int live;              /* tasks not done */
  int npolling;          /* tasks waiting on descriptors */
  int nscopes;           /* Task.timeout scopes open */
  int tasks_ref;         /* registry: lightuserdata task -> its userdata */
  int failure_ref;       /* the first unhandled error */
  char *failure_tb;
  Task *root;
  char *pool[POOL_MAX];
  int npool;
} S = {.epfd = -1, .tasks_ref = LUA_NOREF, .failure_ref = LUA_NOREF};

/* }====================================================== */


/*
** {======================================================
** Stacks and switching
** =======================================================
*/

static char *getstack(void) {
  char *p;
  if (S.npool > 0) return S.pool[--S.npool];
  p = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (p == MAP_FAILED) return NULL;
  if (mprotect(p, GUARD, PROT_NONE) != 0) {
    munmap(p, STACK_SIZE);
    return NULL;
  }
  return p;
}


static void putstack(char *p) {
  if (p == NULL) return;
  if (S.npool < POOL_MAX) {
    /* the pages it used go back to the system; the mapping stays */
    madvise(p + GUARD, STACK_SIZE - GUARD - 65536, MADV_DONTNEED);
    S.pool[S.npool++] = p;
  }
  else munmap(p, STACK_SIZE);
}


#if defined(__SANITIZE_ADDRESS__)
#define FIBER_START(save, bottom, size) __sanitizer_start_switch_fiber(save, bottom, size)
#define FIBER_FINISH(save, bottom, size) __sanitizer_finish_switch_fiber(save, bottom, size)
#else
#define FIBER_START(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define FIBER_FINISH(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#endif


static void task_main(void);

#if defined(__x86_64__)
/* switchto(from, to): saves the running state in *from, runs *to. */
void brood_task_switch(Context *from, Context *to);
__asm__(
  ".text\n"
  ".globl brood_task_switch\n"
  ".hidden brood_task_switch\n"
  ".type brood_task_switch, @function\n"
  "brood_task_switch:\n"
  "  pushq %rbp\n"
  "  pushq %rbx\n"
  "  pushq %r12\n"
  "  pushq %r13\n"
  "  pushq %r14\n"
  "  pushq %r15\n"
  "  subq $8, %rsp\n"
  "  stmxcsr (%rsp)\n"
  "  fnstcw 4(%rsp)\n"
  "  movq %rsp, (%rdi)\n"
  "  movq (%rsi), %rsp\n"
  "  ldmxcsr (%rsp)\n"
  "  fldcw 4(%rsp)\n"
  "  addq $8, %rsp\n"
  "  popq %r15\n"
  "  popq %r14\n"
  "  popq %r13\n"
  "  popq %r12\n"
  "  popq %rbx\n"
  "  popq %rbp\n"
  "  ret\n"
  ".size brood_task_switch, .-brood_task_switch\n");

#define switchto(from, to) brood_task_switch(from, to)

/* A new task's first switch "returns" into task_main, with the stack
** aligned as after a call: the frame brood_task_switch pops, built by
** hand (control words at their defaults, registers zero). */
static int makectx(Context *c, char *stack, size_t size) {
  uintptr_t top = ((uintptr_t)(stack + size)) & ~(uintptr_t)15;
  uint64_t *sp = (uint64_t *)top;
  *--sp = 0;                          /* task_main's return address: none */
  *--sp = (uint64_t)(uintptr_t)task_main;
  for (int i = 0; i < 6; i++) *--sp = 0;
  *--sp = 0x037F00001F80ull;          /* x87 control word, MXCSR */
  c->sp = sp;
  return 0;
}
#else
#define switchto(from, to) swapcontext(from, to)

static int makectx(Context *c, char *stack, size_t size) {
  if (getcontext(c) != 0) return -1;
  c->uc_stack.ss_sp = stack;
  c->uc_stack.ss_size = size;
  c->uc_link = NULL;
  makecontext(c, task_main, 0);
  return 0;
}
#endif


/* Scheduler -> task t, until t switches back. */
static void enter(Task *t) {
  FIBER_START(&S.fake, t->stack + GUARD, STACK_SIZE - GUARD);
  switchto(&S.ctx, &t->ctx);
  FIBER_FINISH(S.fake, NULL, NULL);
}


/* Task t -> the scheduler, until it switches back to t. */
static void leave(Task *t) {
  FIBER_START(&t->fake, S.stackbottom, S.stacksize);
  switchto(&t->ctx, &S.ctx);
  FIBER_FINISH(t->fake, &S.stackbottom, &S.stacksize);
}

/* }====================================================== */


/*
** {======================================================
** Queues: ready, deadlines, wake-ups, descriptors
** =======================================================
*/

static void ready(Task *t, int result) {
  t->state = T_READY;
  t->result = result;
  t->next = NULL;
  if (S.rtail) S.rtail->next = t;
  else S.rhead = t;
  S.rtail = t;
  S.nready++;
}


static Task *popready(void) {
  Task *t = S.rhead;
  if (t) {
    S.rhead = t->next;
    if (S.rhead == NULL) S.rtail = NULL;
    S.nready--;
  }
  return t;
}


static void heapset(size_t i, Task *t) {
  S.heap[i] = t;
  t->heap = i + 1;
}


static void heapup(size_t i) {
  Task *t = S.heap[i];
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (S.heap[p]->deadline <= t->deadline) break;
    heapset(i, S.heap[p]);
    i = p;
  }
  heapset(i, t);
}


static void heapdown(size_t i) {
  Task *t = S.heap[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= S.nheap) break;
    if (c + 1 < S.nheap && S.heap[c + 1]->deadline < S.heap[c]->deadline) c++;
    if (S.heap[c]->deadline >= t->deadline) break;
    heapset(i, S.heap[c]);
    i = c;
  }
  heapset(i, t);
}


static int heappush(Task *t) {
  if (S.nheap == S.capheap) {
    size_t cap = S.capheap ? 2 * S.capheap : 64;
    Task **h = realloc(S.heap, cap * sizeof *h);
    if (h == NULL) return -1;
    S.heap = h;
    S.capheap = cap;
  }
  S.heap[S.nheap++] = t;
  heapup(S.nheap - 1);
  return 0;
}


static void heapremove(Task *t) {
  size_t i = t->heap - 1;
  Task *last;
  t->heap = 0;
  last = S.heap[--S.nheap];
  if (last == t) return;
  S.heap[i] = last;
  last->heap = i + 1;
  if (i > 0 && S.heap[(i - 1) / 2]->deadline > last->deadline) heapup(i);
  else heapdown(i);
}


static void addwaker(Task *t) {
  t->wprev = NULL;
  t->wnext = S.wakers;
  if (S.wakers) S.wakers->wprev = t;
  S.wakers = t;
  t->inwakers = 1;
}


static void removewaker(Task *t) {
  if (!t->inwakers) return;
  if (t->wprev) t->wprev->wnext = t->wnext;
  else S.wakers = t->wnext;
  if (t->wnext) t->wnext->wprev = t->wprev;
  t->inwakers = 0;
}


/* Registers fd for 'want' (0: unregisters it). Returns 0, or -1 when
** epoll cannot watch it (a regular file: always ready, as poll says;
** errno EPERM) or it is not open. */
static int arm(int fd, unsigned want) {
  struct epoll_event ev;
  Fd *f = &S.fdt[fd];
  memset(&ev, 0, sizeof ev);
  ev.events = want;
  ev.data.fd = fd;
  if (want == 0) {
    f->reg = 0;
    return epoll_ctl(S.epfd, EPOLL_CTL_DEL, fd, NULL);
  }
  if (epoll_ctl(S.epfd, f->reg ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0) {
    int op = f->reg ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;  /* our record was wrong */
    if ((errno != ENOENT && errno != EEXIST) || epoll_ctl(S.epfd, op, fd, &ev) != 0) {
      f->reg = 0;
      return -1;
    }
  }
  f->reg = want;
  return 0;
}


/* The events the tasks linked on fd wait for (woken ones included: they
** are about to wait again). */
static unsigned linked(Fd *f) {
  unsigned want = 0;
  Node *n;
  for (n = f->head; n; n = n->next) want |= (unsigned)n->t->fds[n->i].events;
  return want;
}


/* A new epoll set, with the descriptors tasks wait on registered anew:
** a registration the old set kept for a file no number reaches any more
** goes with it. */
static void renew(void) {
  int fd = epoll_create1(EPOLL_CLOEXEC), i;
  if (fd < 0) return;  /* keep the old one: spurious events are harmless */
  close(S.epfd);
  S.epfd = fd;
  for (i = 0; i < S.nfdt; i++) {
    unsigned want;
    S.fdt[i].reg = 0;
    if (S.fdt[i].head && (want = linked(&S.fdt[i])) != 0) arm(i, want);
  }
}


static int growfds(int fd) {
  if (fd >= S.nfdt) {
    int n = S.nfdt ? S.nfdt : 64;
    Fd *t;
    while (n <= fd) n *= 2;
    t = realloc(S.fdt, (size_t)n * sizeof *t);
    if (t == NULL) return -1;
    memset(t + S.nfdt, 0, (size_t)(n - S.nfdt) * sizeof *t);
    S.fdt = t;
    S.nfdt = n;
  }
  return 0;
}


/* Takes t off every list it waits in (it runs again). */
static void detach(Task *t) {
  int i;
  if (t->nodes) {
    for (i = 0; i < t->nfds; i++) {
      Node *n = &t->nodes[i];
      if (n->t == NULL) continue;
      if (n->prev) n->prev->next = n->next;
      else S.fdt[t->fds[i].fd].head = n->next;
      if (n->next) n->next->prev = n->prev;
      n->t = NULL;
    }
    if (t->nodes != t->inl) free(t->nodes);
    t->nodes = NULL;
  }
  if (t->heap) heapremove(t);
  removewaker(t);
}


/* brood_sig_fdchange: the file at fd is closed or replaced. Its
** registration goes (while the number still names that file), and the
** tasks waiting on it look again (an IO object closed under a waiting
** read raises there). */
static void fdchange(int fd) {
  Fd *f;
  Node *nd;
  if (!S.active || S.pid != brood_getpid() || fd >= S.nfdt) return;
  f = &S.fdt[fd];
  if (f->reg) epoll_ctl(S.epfd, EPOLL_CTL_DEL, fd, NULL);
  f->reg = 0;
  for (nd = f->head; nd; nd = nd->next)
    if (nd->t->state == T_WAITING) ready(nd->t, -1);
}


/* }====================================================== */


/*
** {======================================================
** Suspending a task
** =======================================================
*/

static void pusherror(lua_State *L, const char *syscall, int err, const char *message) {
  brood_pusherror(L, syscall, NULL, err);
  lua_pushstring(L, message);
  lua_setfield(L, -2, "message");
}


/* The earliest deadline of the Task.timeout scopes not fired yet. */
static double scopedeadline(Task *t, double deadline) {
  Scope *sc;
  for (sc = t->scope; sc; sc = sc->prev)
    if (!sc->fired && (deadline < 0 || sc->deadline < deadline)) deadline = sc->deadline;
  return deadline;
}


static void unjoin(Task *me) {
  Task **p;
  if (me->joining == NULL) return;
  for (p = &me->joining->joiners; *p; p = &(*p)->joinnext)
    if (*p == me) {
      *p = me->joinnext;
      break;
    }
  me->joining = NULL;
}


/* Raises what is due at a blocking point: a cancellation, or the
** timeout of an enclosing Task.timeout (the outermost that expired). */
static void checkpoint(lua_State *L, Task *t) {
  Scope *sc, *due = NULL;
  double now;
  if (t->cancel) {
    t->cancel = 0;
    t->cancelraised = 1;
    unjoin(t);
    pusherror(L, "task", ECANCELED, "cancelled");
    lua_error(L);
  }
  if (t->scope == NULL) return;
  now = brood_monotonic();
  for (sc = t->scope; sc; sc = sc->prev)
    if (!sc->fired && now >= sc->deadline) due = sc;
  if (due) {
    due->fired = 1;
    unjoin(t);
    pusherror(L, "Task.timeout", ETIMEDOUT, "timed out");
    lua_error(L);
  }
}


/* Switches t away until the scheduler runs it again; then takes it off
** the lists it waited in. */
static void suspend(Task *t) {
  t->running = brood_sig_running();
  if (t->wait == W_YIELD) ready(t, 0);
  else t->state = T_WAITING;
  leave(t);
  if (t->wait == W_POLL && t->nfds > 0) S.npolling--;
  detach(t);
  t->wait = W_NONE;
}


/* Puts t in the deadline heap (its wait's, or a Task.timeout's). */
static void settimer(Task *t, double deadline) {
  t->deadline = scopedeadline(t, deadline);
  if (t->deadline >= 0 && heappush(t) != 0) t->deadline = -1;
}


/* brood_sig_poll's question: is L running in a task? Then wait here. */
static int suspend_poll(lua_State *L, struct pollfd *fds, int nfds, double deadline, int *result) {
  Task *t = S.current;
  int i, now = 0;
  unsigned want;
  if (t == NULL || !S.active || t->pid != brood_getpid()) return 0;
  checkpoint(L, t);
  if (S.live == 1 && S.nscopes == 0) return 0;  /* alone: wait as outside tasks */
  t->wait = W_POLL;
  t->fds = fds;
  t->nfds = nfds;
  t->nodes = nfds <= 2 ? t->inl : calloc((size_t)nfds, sizeof(Node));
  if (t->nodes == NULL) brood_raise(L, "poll", NULL, ENOMEM);
  for (i = 0; i < nfds; i++) t->nodes[i].t = NULL;
  for (i = 0; i < nfds; i++) {
    int fd = fds[i].fd;
    Fd *f;
    fds[i].revents = 0;
    if (fd < 0) continue;
    if (growfds(fd) != 0) {
      detach(t);
      brood_raise(L, "poll", NULL, ENOMEM);
    }
    f = &S.fdt[fd];
    want = (unsigned)fds[i].events;
    if ((want & ~f->reg) && arm(fd, f->reg | want) != 0) {
      /* not pollable by epoll: ready now (EPERM, a regular file), or
      ** not open (EBADF: poll's POLLNVAL) */
      fds[i].revents = (short)(errno == EPERM ? fds[i].events : POLLNVAL);
      now++;
      continue;
    }
    t->nodes[i] = (Node){t, i, NULL, f->head};
    if (f->head) f->head->prev = &t->nodes[i];
    f->head = &t->nodes[i];
  }
  if (now) {
    detach(t);
    t->wait = W_NONE;
    *result = now;
    return 1;
  }
  if (nfds == 0) addwaker(t);
  else S.npolling++;
  settimer(t, deadline);
  t->state = T_WAITING;
  suspend(t);
  checkpoint(L, t);
  *result = t->result;
  return 1;
}


/* Parks the running task until unpark, the deadline (-1: none) or a
** cancellation. Returns 1 when unparked, 0 on timeout. */
static int park(lua_State *L, Task *t, double deadline) {
  checkpoint(L, t);
  t->wait = W_PARK;
  t->nfds = 0;
  settimer(t, deadline);
  suspend(t);
  checkpoint(L, t);
  return t->result;
}


/* Every wait must come to the scheduler when another task could run
** meanwhile, or a Task.timeout must fire; a lone task with no timeout
** may block in the kernel, as code outside tasks does. */
static void cooperate(void) {
  brood_sig_cooperate(S.active && (S.live > 1 || S.nscopes > 0));
}


static Task *running(lua_State *L, const char *fname) {
  if (S.current == NULL || !S.active || S.current->pid != brood_getpid())
    luaL_error(L, "%s: not inside a task (call it from a function run by Task.run)", fname);
  return S.current;
}

/* }====================================================== */


/*
** {======================================================
** Task objects
** =======================================================
*/

static Task *checktask(lua_State *L, int arg) {
  return luaL_checkudata(L, arg, TASK_TYPE);
}


/* The message handler of a task's function: keeps the error value as it
** is (t:wait raises it unchanged) and its traceback beside it. */
static int task_msgh(lua_State *L) {
  Task *t = S.current;
  if (t && t->traceback == NULL && !(t->cancelraised)) {
    brood_traceback(L);
    t->traceback = strdup(lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  lua_settop(L, 1);
  return 1;
}


/* What a task cancelled before it started runs instead of its function. */
static int cancelled_start(lua_State *L) {
  pusherror(L, "task", ECANCELED, "cancelled");
  return lua_error(L);
}


/* A task's first and last frame, on its own stack. */
static void task_main(void) {
  Task *t = S.current;
  lua_State *L = t->L;
  int status;
  FIBER_FINISH(NULL, &S.stackbottom, &S.stacksize);
  if (t->cancel) {  /* cancelled before it started: it never runs */
    t->cancel = 0;
    t->cancelraised = 1;
    lua_settop(L, 1);
    lua_pushcfunction(L, cancelled_start);  /* raises in protected mode */
    t->nargs = 0;
  }
  status = lua_pcall(L, t->nargs, LUA_MULTRET, 1);
  if (t->pid != brood_getpid()) {
    /* a child forked inside this task: the task's function was all it
    ** had to run; it ends as Process.fork(fn)'s child does */
    if (status == LUA_OK) brood_exit(L, EXIT_SUCCESS);
    brood_run_atexit(L);
    brood_io_flushall();
    /* nothing that could raise out here: no protected call is left */
    fprintf(stderr, "brood: %s\n", t->traceback ? t->traceback
            : lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(error object)");
    fflush(stderr);
    exit(EXIT_FAILURE);
  }
  if (status == LUA_OK) t->outcome = O_OK;
  else {
    int cancelled = 0;
    if (t->cancelraised && lua_type(L, -1) == LUA_TTABLE) {
      lua_getfield(L, -1, "errno");
      cancelled = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "ECANCELED") == 0;
      lua_pop(L, 1);
    }
    t->outcome = cancelled ? O_CANCELLED : O_FAILED;
  }
  t->state = T_DONE;
  FIBER_START(NULL, S.stackbottom, S.stacksize);
  switchto(&t->ctx, &S.ctx);
  abort();  /* not reached: a task that has ended never runs again */
}


static void cancel(Task *t) {
  if (t->state == T_DONE) return;
  t->cancel = 1;
  if (t->state == T_WAITING) ready(t, -1);
}


static void cancelall(lua_State *L) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, S.tasks_ref);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    cancel(lua_touserdata(L, -1));
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}


/* The error of a failed task as Task.run raises it: a string gets the
** task's traceback. Pushes it. */
static void pushfailure(lua_State *L, Task *t, int idx) {
  if (lua_type(L, idx) == LUA_TSTRING && t->traceback)
    lua_pushfstring(L, "%s\n(in a task)", t->traceback);
  else lua_pushvalue(L, idx);
}


/* In the scheduler: t's function has ended. */
static void finish(lua_State *L, Task *t) {
  Task *j;
  S.live--;
  cooperate();
  putstack(t->stack);
  t->stack = NULL;
  for (j = t->joiners; j; j = j->joinnext)
    if (j->state == T_WAITING) ready(j, 1);
  if ((t->outcome == O_FAILED && (t->joiners == NULL || t == S.root)) ||
      (t->outcome == O_CANCELLED && t == S.root && S.failure_ref == LUA_NOREF)) {
    if (S.failure_ref == LUA_NOREF) {
      lua_xmove(t->L, L, 1);
      pushfailure(L, t, -1);
      S.failure_ref = luaL_ref(L, LUA_REGISTRYINDEX);
      lua_xmove(L, t->L, 1);
    }
    cancelall(L);
  }
  t->joiners = NULL;
  lua_rawgeti(L, LUA_REGISTRYINDEX, S.tasks_ref);
  lua_pushnil(L);
  lua_rawsetp(L, -2, t);
  lua_pop(L, 1);
}


/* Makes a task of the function at fn and the nargs values above it;
** pushes its object. */
static Task *newtask(lua_State *L, int fn, int nargs) {
  Task *t = lua_newuserdatauv(L, sizeof(Task), 1);
  lua_State *co;
  int i;
  memset(t, 0, sizeof *t);
  t->deadline = -1;
  luaL_setmetatable(L, TASK_TYPE);
  co = lua_newthread(L);
  lua_setiuservalue(L, -2, 1);
  if (!lua_checkstack(co, nargs + 2)) luaL_error(L, "too many arguments");
  lua_pushcfunction(co, task_msgh);
  lua_pushvalue(L, fn);
  for (i = 1; i <= nargs; i++) lua_pushvalue(L, fn + i);
  lua_xmove(L, co, nargs + 1);
  t->L = co;
  t->nargs = nargs;
  t->run = S.run;
  t->pid = brood_getpid();
  t->stack = getstack();
  if (t->stack == NULL) brood_raise(L, "mmap", NULL, errno);
  if (makectx(&t->ctx, t->stack + GUARD, STACK_SIZE - GUARD) != 0) {
    int err = errno;
    putstack(t->stack);
    t->stack = NULL;
    brood_raise(L, "getcontext", NULL, err);
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, S.tasks_ref);
  lua_pushvalue(L, -2);
  lua_rawsetp(L, -2, t);
  lua_pop(L, 1);
  S.live++;
  cooperate();
  ready(t, 0);
  return t;
}


static int task_gc(lua_State *L) {
  Task *t = checktask(L, 1);
  /* the stack of a task whose run never finished (its state closed
  ** meanwhile, or a forked child's copy); not while its run may still
  ** switch to it (a __gc called by hand, or the state closed from
  ** inside a task: that memory goes with the process) */
  int live = S.active && t->run == S.run && t->pid == brood_getpid() && t->state != T_DONE;
  if (t->stack && !live) {
    munmap(t->stack, STACK_SIZE);
    t->stack = NULL;
  }
  if (!live) {
    free(t->traceback);
    t->traceback = NULL;
  }
  return 0;
}


static const char *statusname(Task *t) {
  switch (t->state) {
    case T_RUNNING: return "running";
    case T_DONE:
      return t->outcome == O_OK ? "done" : t->outcome == O_CANCELLED ? "cancelled" : "failed";
    default: return "suspended";
  }
}


/* t:status() */
static int task_status(lua_State *L) {
  lua_pushstring(L, statusname(checktask(L, 1)));
  return 1;
}


/* t:cancel() */
static int task_cancel(lua_State *L) {
  Task *t = checktask(L, 1);
  brood_checknargs(L, 1);
  cancel(t);
  return 0;
}


/* Pushes t's results (or raises its error). */
static int results(lua_State *L, Task *t) {
  int n = lua_gettop(t->L) - 1;
  if (t->outcome != O_OK) {
    lua_pushvalue(t->L, -1);
    lua_xmove(t->L, L, 1);
    return lua_error(L);
  }
  luaL_checkstack(L, n, "too many results");
  for (int i = 2; i <= n + 1; i++) lua_pushvalue(t->L, i);
  lua_xmove(t->L, L, n);
  return n;
}


/* t:wait([timeout]) -> the results of t's function, or raises its error. */
static int task_wait(lua_State *L) {
  Task *t = checktask(L, 1);
  double deadline = brood_deadline(brood_opttimeout(L, 2));
  brood_checknargs(L, 2);
  if (t->state != T_DONE) {
    Task *me = running(L, "wait");
    if (t == me) return luaL_argerror(L, 1, "a task cannot wait for itself");
    if (t->run != S.run) return luaL_argerror(L, 1, "the task belongs to another Task.run");
    me->joining = t;
    me->joinnext = t->joiners;
    t->joiners = me;
    while (t->state != T_DONE) {
      int r = park(L, me, deadline);  /* raising, it leaves t's waiters */
      if (r == 0 && t->state != T_DONE) {
        unjoin(me);
        pusherror(L, "wait", ETIMEDOUT, "timed out");
        return lua_error(L);
      }
    }
    unjoin(me);
  }
  return results(L, t);
}


static int task_tostring(lua_State *L) {
  Task *t = checktask(L, 1);
  lua_pushfstring(L, "brood.Task (%s): %p", statusname(t), (void *)t);
  return 1;
}


static const luaL_Reg task_methods[] = {
  {"wait", task_wait},
  {"cancel", task_cancel},
  {"status", task_status},
  {NULL, NULL}
};

/* }====================================================== */


/*
** {======================================================
** The scheduler
** =======================================================
*/

/* Runs t until it waits or ends. */
static void runtask(lua_State *L, Task *t) {
  S.current = t;
  t->state = T_RUNNING;
  brood_sig_switch(t->running ? t->running : t->L);
  enter(t);
  S.current = NULL;
  brood_sig_switch(L);
  if (t->state == T_DONE) finish(L, t);
}


/* Waits for descriptors, deadlines and the wake-up pipe; readies the
** tasks whose wait is over. Without waiting when some task is ready. */
static int wakewakers(void) {
  unsigned long now = brood_sig_arrivals();
  Task *t, *next;
  if (now == S.arrivals) return 0;
  S.arrivals = now;
  for (t = S.wakers; t; t = next) {
    next = t->wnext;
    if (t->state == T_WAITING) ready(t, -1);
  }
  return 1;
}


static void waitevents(lua_State *L) {
  struct pollfd p[2];
  struct epoll_event ev[256];
  int r, n, i, stale = 0;
  wakewakers();
  if (!S.rhead && !S.nheap && !S.wakers && !S.npolling && !brood_sig_runslua())
    luaL_error(L, "Task.run: deadlock: every task waits for another (a queue, a semaphore, "
                  "a t:wait) and nothing else can wake them");
  if (S.rhead) {
    /* tasks are ready: only a look, with no wait (and no wake-up pipe:
    ** pending signals are seen here, arrivals by wakewakers) */
    brood_sig_check(L);
    r = 1;
  }
  else {
    p[0].fd = S.epfd;
    p[0].events = POLLIN;
    r = brood_sig_poll(L, p, 1, S.nheap ? S.heap[0]->deadline : -1);
  }
  wakewakers();
  if (r > 0) {
    n = epoll_wait(S.epfd, ev, 256, 0);
    for (i = 0; i < n; i++) {
      Fd *f = &S.fdt[ev[i].data.fd];
      unsigned got = ev[i].events & (POLLIN | POLLOUT | POLLPRI | POLLERR | POLLHUP | POLLRDHUP);
      unsigned taken = 0;
      Node *nd;
      for (nd = f->head; nd; nd = nd->next) {
        Task *t = nd->t;
        unsigned mine = got & ((unsigned)t->fds[nd->i].events | POLLERR | POLLHUP);
        if (t->state != T_WAITING || mine == 0) continue;
        t->fds[nd->i].revents = (short)mine;
        taken |= mine;
        ready(t, 1);
      }
      /* a level-triggered event no task waits for comes back at every
      ** look: narrow the registration to what is waited for; if that
      ** fails, the event came from a registration no number reaches */
      if ((got & ~taken & ~(unsigned)(POLLERR | POLLHUP) & ~linked(f)) || !f->head)
        if (arm(ev[i].data.fd, linked(f)) != 0 && errno != EPERM) stale = 1;
    }
    if (stale) renew();
  }
  if (S.nheap) {
    double now = brood_monotonic();
    while (S.nheap && S.heap[0]->deadline <= now) {
      Task *t = S.heap[0];
      heapremove(t);
      if (t->state == T_WAITING) ready(t, 0);
    }
  }
}


/* The loop, run in protected mode: until every task has ended. */
static int schedule(lua_State *L) {
  while (S.live > 0) {
    int n = S.nready;
    while (n-- > 0) {
      Task *t = popready();
      if (t == NULL) break;
      runtask(L, t);
    }
    if (S.live > 0) waitevents(L);
  }
  return 0;
}


/* Drops what a run waits on: the ready queue, the deadlines, the
** descriptor waits and the epoll set. */
static void dropwaits(void) {
  if (S.epfd >= 0) close(S.epfd);
  S.epfd = -1;
  free(S.fdt);
  S.fdt = NULL;
  S.nfdt = 0;
  free(S.heap);
  S.heap = NULL;
  S.nheap = S.capheap = 0;
  S.rhead = S.rtail = NULL;
  S.nready = 0;
  S.wakers = NULL;
}


static void teardown(void) {
  int i;
  brood_sig_setsuspend(NULL);
  brood_sig_setfdhook(NULL);
  S.active = 0;
  S.current = NULL;
  dropwaits();
  for (i = 0; i < S.npool; i++) munmap(S.pool[i], STACK_SIZE);
  S.npool = 0;
}


static int run_close(lua_State *L) {
  if (S.active && S.pid == brood_getpid()) {
    luaL_unref(L, LUA_REGISTRYINDEX, S.tasks_ref);
    S.tasks_ref = LUA_NOREF;
    luaL_unref(L, LUA_REGISTRYINDEX, S.failure_ref);
    S.failure_ref = LUA_NOREF;
    S.root = NULL;
    teardown();
  }
  return 0;
}


/* Task.run(fn, ...) -> fn's results, once fn and every task started
** inside it have ended. */
static int task_run(lua_State *L) {
  int nargs = lua_gettop(L) - 1, status;
  Task *root;
  luaL_checktype(L, 1, LUA_TFUNCTION);
  if (S.active && S.pid == brood_getpid())
    return luaL_error(L, "Task.run: a run is under way already (nested runs are refused; "
                         "start tasks with Task.spawn)");
  if (S.current && S.current->pid == brood_getpid())
    return luaL_error(L, "Task.run: called inside a task");
  if (S.pid != 0 && S.pid != brood_getpid()) {
    /* forked from a process in a run: its ready queue, deadlines,
    ** descriptor waits and epoll set are copies of the parent's, its
    ** tasks not ours to run (the scheduler resumed one of them here) */
    dropwaits();
  }
  /* the run's state goes with this frame, however it ends (made first:
  ** a memory error from here on leaves nothing behind) */
  lua_newuserdatauv(L, 0, 0);
  luaL_setmetatable(L, RUN_TYPE);
  lua_toclose(L, -1);
  memset(&S.ctx, 0, sizeof S.ctx);
  S.epfd = epoll_create1(EPOLL_CLOEXEC);
  if (S.epfd < 0) return brood_syserror(L, "epoll_create1");
  S.active = 1;
  S.run++;
  S.pid = brood_getpid();
  S.L = L;
  S.live = 0;
  S.npolling = 0;
  S.nscopes = 0;
  S.current = NULL;
  S.failure_ref = LUA_NOREF;
  S.arrivals = brood_sig_arrivals();
  lua_newtable(L);
  S.tasks_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  brood_sig_setsuspend(suspend_poll);
  brood_sig_setfdhook(fdchange);
  root = newtask(L, 1, nargs);
  S.root = root;
  for (;;) {
    lua_pushcfunction(L, schedule);
    status = lua_pcall(L, 0, 0, 0);
    if (status == LUA_OK) break;
    /* a handler's error (or Ctrl-C) in the scheduler's own wait: it is
    ** the run's failure; the tasks are cancelled and it goes on until
    ** they have ended */
    if (S.failure_ref == LUA_NOREF) S.failure_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    else lua_pop(L, 1);
    cancelall(L);
  }
  luaL_unref(L, LUA_REGISTRYINDEX, S.tasks_ref);
  S.tasks_ref = LUA_NOREF;
  S.root = NULL;
  teardown();
  if (S.failure_ref != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, S.failure_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, S.failure_ref);
    S.failure_ref = LUA_NOREF;
    return lua_error(L);
  }
  return results(L, root);
}


/* Task.spawn(fn, ...) -> a task object. */
static int task_spawn(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  if (!S.active || S.pid != brood_getpid())
    return luaL_error(L, "Task.spawn: no Task.run under way (start one with Task.run)");
  newtask(L, 1, lua_gettop(L) - 1);
  return 1;
}


/* Task.current() -> the running task's object, or nil outside tasks. */
static int task_current(lua_State *L) {
  Task *t = S.current;
  brood_checknargs(L, 0);
  if (t == NULL || !S.active || t->pid != brood_getpid()) lua_pushnil(L);
  else {
    lua_rawgeti(L, LUA_REGISTRYINDEX, S.tasks_ref);
    lua_rawgetp(L, -1, t);
  }
  return 1;
}


/* Task.sleep(seconds) */
static int task_sleep(lua_State *L) {
  double deadline = brood_deadline(brood_opttimeout(L, 1));
  Task *t;
  brood_checknargs(L, 1);
  t = running(L, "Task.sleep");
  while (park(L, t, deadline) != 0) {}
  return 0;
}


/* Task.yield() -- lets the other ready tasks run. */
static int task_yield(lua_State *L) {
  Task *t;
  brood_checknargs(L, 0);
  t = running(L, "Task.yield");
  checkpoint(L, t);
  t->wait = W_YIELD;
  suspend(t);
  checkpoint(L, t);
  return 0;
}


/* brood._task.park([timeout]) -> true when unparked, false on timeout. */
static int task_park(lua_State *L) {
  double deadline = brood_deadline(brood_opttimeout(L, 1));
  Task *t;
  brood_checknargs(L, 1);
  t = running(L, "park");
  lua_pushboolean(L, park(L, t, deadline) == 1);
  return 1;
}


/* brood._task.unpark(task) -> true when it was parked and now runs. */
static int task_unpark(lua_State *L) {
  Task *t = checktask(L, 1);
  int woke = t->state == T_WAITING && t->wait == W_PARK;
  brood_checknargs(L, 1);
  if (woke) ready(t, 1);
  lua_pushboolean(L, woke);
  return 1;
}


static int scope_close(lua_State *L) {
  Scope *sc = lua_touserdata(L, 1);
  if (sc->t) {
    Scope **p;
    for (p = &sc->t->scope; *p; p = &(*p)->prev)
      if (*p == sc) {
        *p = sc->prev;
        break;
      }
    sc->t = NULL;
    S.nscopes--;
    cooperate();
  }
  return 0;
}


/* Task.timeout(seconds, fn, ...) -> fn's results; a blocking call still
** waiting when the time is up raises a timeout error. */
static int task_timeout(lua_State *L) {
  double deadline = brood_deadline(brood_opttimeout(L, 1));
  int n = lua_gettop(L);
  Task *t;
  Scope *sc;
  luaL_checkany(L, 1);
  luaL_checkany(L, 2);
  t = running(L, "Task.timeout");
  sc = lua_newuserdatauv(L, sizeof *sc, 0);
  sc->deadline = deadline < 0 ? 1e300 : deadline;
  sc->fired = 0;
  sc->prev = t->scope;
  sc->t = t;
  luaL_setmetatable(L, SCOPE_TYPE);
  t->scope = sc;
  S.nscopes++;
  cooperate();
  lua_toclose(L, -1);
  for (int i = 2; i <= n; i++) lua_pushvalue(L, i);
  lua_call(L, n - 2, LUA_MULTRET);
  return lua_gettop(L) - (n + 1);
}


/* brood._task.istask(v) -> whether v is a task object. */
static int task_istask(lua_State *L) {
  lua_pushboolean(L, luaL_testudata(L, 1, TASK_TYPE) != NULL);
  return 1;
}


/* brood._task.timeouterror(syscall) -> the error a timeout raises. */
static int task_timeouterror(lua_State *L) {
  pusherror(L, luaL_checkstring(L, 1), ETIMEDOUT, "timed out");
  return 1;
}


static void forked(void) {
  /* the child runs on alone: its waits block as they do outside tasks */
  S.active = 0;
  brood_sig_setsuspend(NULL);
  brood_sig_setfdhook(NULL);
}


static const luaL_Reg funcs[] = {
  {"run", task_run},
  {"spawn", task_spawn},
  {"current", task_current},
  {"sleep", task_sleep},
  {"yield", task_yield},
  {"timeout", task_timeout},
  {"park", task_park},
  {"unpark", task_unpark},
  {"timeouterror", task_timeouterror},
  {"istask", task_istask},
  {NULL, NULL}
};


BROOD_API int luaopen_brood__task(lua_State *L) {
  static int registered;
  if (!registered) {
    pthread_atfork(NULL, NULL, forked);
    registered = 1;
  }
  if (luaL_newmetatable(L, TASK_TYPE)) {
    luaL_newlib(L, task_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, task_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, task_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);
  if (luaL_newmetatable(L, RUN_TYPE)) {
    lua_pushcfunction(L, run_close);
    lua_setfield(L, -2, "__close");
  }
  lua_pop(L, 1);
  if (luaL_newmetatable(L, SCOPE_TYPE)) {
    lua_pushcfunction(L, scope_close);
    lua_setfield(L, -2, "__close");
  }
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  return 1;
}

/* }====================================================== */
