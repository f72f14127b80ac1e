/*
 * drover-shim: the per-task supervisor (in the spirit of conmon and containerd's shim).
 *
 * Usage: drover-shim TASK_DIR
 *
 * Reads what to run from TASK_DIR (so the task's command never appears on the shim's own
 * command line): `argv` and `env` as NUL-separated strings, `cwd` as a path, and optionally
 * `credentials` ("UID GID": the task drops to them before exec, as systemd's User=/Group=). Then:
 *   - detaches into its own session, so the agent's death or its terminal's signals do not
 *     reach the task, and becomes a child subreaper, so a forking task's daemon stays its child;
 *   - starts the task in its own process group with stdout/stderr on pipes, and copies them to
 *     TASK_DIR/output.log (CRI log format), rotated to output.log.1 past DROVER_LOG_MAX bytes;
 *   - writes TASK_DIR/pid ("PID STARTTIME") once the task runs;
 *   - forwards SIGTERM/SIGINT/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 to the task's process group;
 *   - when the task and every process it left behind have exited, writes TASK_DIR/exit
 *     ("code N" or "signal N", then the finish time in ms) atomically, and exits.
 * Its own pid and start time go to TASK_DIR/shim.pid so a restarted agent can find it again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[4096];
static volatile sig_atomic_t pending_signal = 0;
static int sigpipe_fds[2] = {-1, -1};

static void die(const char *what) {
  char path[4200];
  snprintf(path, sizeof path, "%s/shim.error", dir);
  FILE *f = fopen(path, "w");
  if (f) {
    fprintf(f, "%s: %s\n", what, strerror(errno));
    fclose(f);
  }
  fprintf(stderr, "drover-shim: %s: %s\n", what, strerror(errno));
  exit(127);
}

static char *read_file(const char *name, size_t *len_out) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap + 1);
  if (!buf) die("malloc");
  for (;;) {
    if (len == cap) {
      cap *= 2;
      buf = realloc(buf, cap + 1);
      if (!buf) die("realloc");
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("read");
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  buf[len] = 0;
  if (len_out) *len_out = len;
  return buf;
}

/* Splits a NUL-separated buffer into a NULL-terminated vector. */
static char **split_nul(char *buf, size_t len) {
  size_t count = 0;
  for (size_t i = 0; i < len; i++)
    if (buf[i] == 0) count++;
  if (len > 0 && buf[len - 1] != 0) count++;
  char **v = calloc(count + 1, sizeof(char *));
  if (!v) die("calloc");
  size_t k = 0, start = 0;
  for (size_t i = 0; i <= len && k < count; i++) {
    if (i == len || buf[i] == 0) {
      v[k++] = buf + start;
      start = i + 1;
    }
  }
  v[count] = NULL;
  return v;
}

/* Field 22 of /proc/PID/stat: the start time in clock ticks since boot (pid reuse guard). */
static unsigned long long start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  p += 2; /* state */
  int field = 3;
  while (*p && field < 22) {
    if (*p == ' ') field++;
    p++;
  }
  return strtoull(p, NULL, 10);
}

static void write_atomic(const char *name, const char *content) {
  char tmp[4200], path[4200];
  snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) die("open tmp");
  size_t len = strlen(content);
  if (write(fd, content, len) != (ssize_t)len) die("write");
  if (fsync(fd) < 0) die("fsync");
  close(fd);
  if (rename(tmp, path) < 0) die("rename");
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
}

/*
 * The task's output goes to one file in the CRI log format Kubernetes uses, one line per
 * record: "<RFC3339Nano time> <stdout|stderr> <F|P> <text>", P marking a partial line (a long
 * line split, or output without a newline). Timestamps make --since possible, and one file
 * keeps stdout and stderr in the order they were written.
 */
struct logfile {
  int fd;
  off_t size;
  off_t max;
};

struct stream {
  const char *name;
  char buf[16384];
  size_t len;
};

static void log_open(struct logfile *l) {
  char path[4200];
  snprintf(path, sizeof path, "%s/output.log", dir);
  /* 0600: a task's output may hold what it was given (secrets); the agent reads it for the API,
     other local users (other tasks' users) must not. fchmod: a log an older shim made 0644. */
  l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (l->fd < 0) die("open log");
  (void)fchmod(l->fd, 0600);
  struct stat st;
  l->size = fstat(l->fd, &st) == 0 ? st.st_size : 0;
}

static void write_all(struct logfile *l, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(l->fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return; /* a full disk must not kill the task */
    }
    buf += n;
    len -= (size_t)n;
    l->size += n;
  }
}

static void log_record(struct logfile *l, const char *stream, char tag, const char *text, size_t len) {
  if (l->max > 0 && l->size > 0 && l->size + (off_t)len + 64 > l->max) {
    char path[4200], old[4300];
    snprintf(path, sizeof path, "%s/output.log", dir);
    snprintf(old, sizeof old, "%s.1", path);
    close(l->fd);
    rename(path, old);
    log_open(l);
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char head[96];
  int n = snprintf(head, sizeof head, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ %s %c ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                   tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec, stream, tag);
  /* One write per record, so a reader never sees half a header. */
  char *rec = malloc((size_t)n + len + 1);
  if (!rec) return;
  memcpy(rec, head, (size_t)n);
  memcpy(rec + n, text, len);
  rec[(size_t)n + len] = '\n';
  write_all(l, rec, (size_t)n + len + 1);
  free(rec);
}

/* Appends output to a stream's line buffer and logs every complete line. */
static void log_output(struct logfile *l, struct stream *s, const char *data, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (data[i] == '\n') {
      log_record(l, s->name, 'F', s->buf, s->len);
      s->len = 0;
    } else {
      if (s->len == sizeof s->buf) {
        log_record(l, s->name, 'P', s->buf, s->len);
        s->len = 0;
      }
      s->buf[s->len++] = data[i];
    }
  }
}

static void log_flush(struct logfile *l, struct stream *s) {
  if (s->len > 0) log_record(l, s->name, 'P', s->buf, s->len);
  s->len = 0;
}

static void on_signal(int sig) {
  pending_signal = sig;
  int saved = errno;
  (void)!write(sigpipe_fds[1], "s", 1);
  errno = saved;
}

static void on_child(int sig) {
  (void)sig;
  int saved = errno;
  (void)!write(sigpipe_fds[1], "c", 1);
  errno = saved;
}

static long long now_ms(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: drover-shim TASK_DIR\n");
    return 2;
  }
  snprintf(dir, sizeof dir, "%s", argv[1]);

  size_t argv_len = 0, env_len = 0;
  char *argv_buf = read_file("argv", &argv_len);
  if (!argv_buf || argv_len == 0) {
    errno = ENOENT;
    die("read argv");
  }
  char **task_argv = split_nul(argv_buf, argv_len);
  char *env_buf = read_file("env", &env_len);
  char **task_env = env_buf ? split_nul(env_buf, env_len) : calloc(1, sizeof(char *));
  char *cwd = read_file("cwd", NULL);
  char *credentials = read_file("credentials", NULL);
  long run_uid = -1, run_gid = -1;
  if (credentials && sscanf(credentials, "%ld %ld", &run_uid, &run_gid) != 2) {
    errno = EINVAL;
    die("read credentials");
  }
  const char *max_env = getenv("DROVER_LOG_MAX");
  off_t log_max = max_env ? (off_t)strtoll(max_env, NULL, 10) : 10 * 1024 * 1024;

  if (setsid() < 0 && errno != EPERM) die("setsid");
  prctl(PR_SET_CHILD_SUBREAPER, 1);

  char content[128];
  snprintf(content, sizeof content, "%d %llu\n", (int)getpid(), start_time(getpid()));
  write_atomic("shim.pid", content);

  /* Detach from the agent's stdio: the agent may go away, and writes must not block or SIGPIPE. */
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
  }

  if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0) die("pipe");
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) die("pipe");

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_child;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaction(forwarded[i], &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    setpgid(0, 0);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++) sigaction(s, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    /* Groups first: after setuid a non-root process may no longer change them. */
    if (run_uid >= 0) {
      gid_t gid = (gid_t)run_gid;
      if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid((uid_t)run_uid) < 0) {
        dprintf(2, "drover-shim: cannot run as uid %ld gid %ld: %s\n", run_uid, run_gid, strerror(errno));
        _exit(200);
      }
    }
    if (cwd && *cwd && chdir(cwd) < 0) {
      dprintf(2, "drover-shim: cannot change to working directory %s: %s\n", cwd, strerror(errno));
      _exit(200);
    }
    execvpe(task_argv[0], task_argv, task_env);
    dprintf(2, "drover-shim: cannot run %s: %s\n", task_argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  setpgid(child, child); /* also from the parent, so signals work even before the child runs */
  close(out[1]);
  close(err[1]);

  snprintf(content, sizeof content, "%d %llu\n", (int)child, start_time(child));
  write_atomic("pid", content);

  struct logfile log = {-1, 0, log_max};
  log_open(&log);
  static struct stream streams[2] = {{"stdout", {0}, 0}, {"stderr", {0}, 0}};

  struct pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {sigpipe_fds[0], POLLIN, 0}};
  int open_pipes = 2;
  pid_t main_pid = child;
  int main_status = 0, have_status = 0, children = 1;
  char buf[65536];

  while (open_pipes > 0 || children > 0) {
    int r = poll(fds, 3, open_pipes > 0 ? -1 : 1000);
    if (r < 0 && errno != EINTR) die("poll");
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = read(fds[i].fd, buf, sizeof buf);
        if (n > 0) {
          log_output(&log, &streams[i], buf, (size_t)n);
        } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
          log_flush(&log, &streams[i]);
          close(fds[i].fd);
          fds[i].fd = -1;
          open_pipes--;
        }
      }
    }
    if (fds[2].revents & POLLIN) {
      char drain[64];
      while (read(sigpipe_fds[0], drain, sizeof drain) > 0) {
      }
    }
    if (pending_signal) {
      int s = pending_signal;
      pending_signal = 0;
      kill(-child, s);
    }
    /* Reap everything: the task, and (as subreaper) whatever it left behind. */
    for (;;) {
      int status;
      pid_t p = waitpid(-1, &status, WNOHANG);
      if (p <= 0) {
        if (p < 0 && errno == ECHILD) children = 0;
        break;
      }
      if (p == main_pid) {
        main_status = status;
        have_status = 1;
      }
    }
    if (children == 0 && open_pipes > 0) {
      /* Every process is gone, yet a pipe is open: a leftover holder elsewhere. Stop waiting. */
      break;
    }
  }

  /* Whatever output is still buffered in the pipes belongs in the log. */
  for (int i = 0; i < 2; i++) {
    if (fds[i].fd < 0) continue;
    fcntl(fds[i].fd, F_SETFL, O_NONBLOCK);
    ssize_t n;
    while ((n = read(fds[i].fd, buf, sizeof buf)) > 0) log_output(&log, &streams[i], buf, (size_t)n);
    close(fds[i].fd);
  }
  log_flush(&log, &streams[0]);
  log_flush(&log, &streams[1]);

  (void)have_status;
  if (WIFSIGNALED(main_status))
    snprintf(content, sizeof content, "signal %d %lld\n", WTERMSIG(main_status), now_ms());
  else
    snprintf(content, sizeof content, "code %d %lld\n", WEXITSTATUS(main_status), now_ms());
  write_atomic("exit", content);
  return 0;
}
