/* gureum-sandbox: start one process tree in its own mount, pid, ipc and uts namespaces.
 *
 * Built once per source version by gureum/sandbox/launcher.py (gcc), run as root:
 *
 *   gureum-sandbox [--cgroup DIR]... [--root DIR [MOUNT-OPS]...] [--hostname NAME]
 *                  [--uid N] [--gid N] [--cwd DIR] -- PROGRAM ARGS...
 *
 * MOUNT-OPS, applied in order inside the new root (a fresh tmpfs mounted on DIR):
 *   --bind SRC:DST      read-only bind mount          --bind-rw SRC:DST   read-write bind
 *   --tmpfs DST:SIZE_MB private tmpfs (mode 1777)     --symlink TARGET:DST
 *   --dir DST           an empty directory            --proc DST          a new procfs
 * The root is made read-only after the mounts, then pivot_root'ed into.
 *
 * Process layout: this process (P) joins the cgroups, unshares, forks INIT (pid 1 of the new
 * pid namespace), which mounts, pivots, and forks the program as the unprivileged uid.
 * INIT reaps orphans and exits with the program's status; when INIT exits the kernel kills
 * every process left in the namespace. P exits with INIT's status. SIGKILL on P reaches INIT
 * through PDEATHSIG, so killing P kills the whole tree. The environment passes through.
 * Exit status: the program's (128+N when killed by signal N), 127 when it could not be
 * executed, 126 when the sandbox could not be set up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_OPS 128

enum op_kind { OP_BIND, OP_BIND_RW, OP_TMPFS, OP_SYMLINK, OP_DIR, OP_PROC };
struct op { enum op_kind kind; char *a; char *b; };

static struct op ops[MAX_OPS];
static int nops;
static char *cgroups[16];
static int ncgroups;
static char *root;
static char *hostname;
static char *cwd = "/";
static long uid = -1, gid = -1;
static pid_t child;

static void die(const char *what, const char *arg) {
    fprintf(stderr, "gureum-sandbox: %s %s: %s\n", what, arg ? arg : "", strerror(errno));
    _exit(126);
}

static void split(char *s, char **a, char **b) {
    char *c = strrchr(s, ':');
    if (!c) { errno = EINVAL; die("bad argument", s); }
    *c = 0; *a = s; *b = c + 1;
}

static void mkdirs(const char *path, mode_t mode) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') { *p = 0; mkdir(buf, mode); *p = '/'; }
    }
    if (mkdir(buf, mode) < 0 && errno != EEXIST) die("mkdir", buf);
}

static void in_root(char *out, size_t n, const char *dst) { snprintf(out, n, "%s%s", root, dst); }

static void apply(struct op *o) {
    char dst[4096];
    struct stat st;
    switch (o->kind) {
    case OP_BIND:
    case OP_BIND_RW:
        in_root(dst, sizeof dst, o->b);
        if (stat(o->a, &st) < 0) die("stat", o->a);
        if (S_ISDIR(st.st_mode)) {
            mkdirs(dst, 0755);
        } else {
            char parent[4096];
            snprintf(parent, sizeof parent, "%s", dst);
            char *slash = strrchr(parent, '/');
            if (slash && slash != parent) { *slash = 0; mkdirs(parent, 0755); }
            int fd = open(dst, O_CREAT | O_WRONLY, 0644);
            if (fd < 0) die("create", dst);
            close(fd);
        }
        if (mount(o->a, dst, NULL, MS_BIND | MS_REC, NULL) < 0) die("bind", o->a);
        if (o->kind == OP_BIND &&
            mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
            die("remount ro", dst);
        break;
    case OP_TMPFS: {
        char data[64];
        in_root(dst, sizeof dst, o->a);
        mkdirs(dst, 01777);
        snprintf(data, sizeof data, "size=%sm,mode=1777", o->b);
        if (mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV, data) < 0) die("tmpfs", dst);
        break;
    }
    case OP_SYMLINK:
        in_root(dst, sizeof dst, o->b);
        if (symlink(o->a, dst) < 0 && errno != EEXIST) die("symlink", dst);
        break;
    case OP_DIR:
        in_root(dst, sizeof dst, o->a);
        mkdirs(dst, 0755);
        break;
    case OP_PROC:
        in_root(dst, sizeof dst, o->a);
        mkdirs(dst, 0555);
        if (mount("proc", dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) die("proc", dst);
        break;
    }
}

static void join_cgroups(void) {
    char path[4096], pid[32];
    int len = snprintf(pid, sizeof pid, "%d\n", getpid());
    for (int i = 0; i < ncgroups; i++) {
        snprintf(path, sizeof path, "%s/cgroup.procs", cgroups[i]);
        int fd = open(path, O_WRONLY);
        if (fd < 0 || write(fd, pid, len) != len) die("join cgroup", cgroups[i]);
        close(fd);
    }
}

static void forward(int sig) { if (child > 0) kill(child, sig); }

static int wait_status_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 125;
}

static void setup_root(void) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die("make / private", NULL);
    if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755") < 0) die("root tmpfs", root);
    for (int i = 0; i < nops; i++) apply(&ops[i]);
    if (chdir(root) < 0) die("chdir", root);
    if (syscall(SYS_pivot_root, ".", ".") < 0) die("pivot_root", root);
    if (umount2(".", MNT_DETACH) < 0) die("umount old root", NULL);
    if (chdir("/") < 0) die("chdir", "/");
    if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
        die("remount / ro", NULL);
}

static int run_init(char **argv) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (root) setup_root();
    if (hostname && sethostname(hostname, strlen(hostname)) < 0) die("sethostname", hostname);
    pid_t pid = fork();
    if (pid < 0) die("fork", NULL);
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        if (gid >= 0 && (setgroups(0, NULL) < 0 || setgid((gid_t)gid) < 0)) die("setgid", NULL);
        if (uid >= 0 && setuid((uid_t)uid) < 0) die("setuid", NULL);
        if (chdir(cwd) < 0) die("chdir", cwd);
        execvp(argv[0], argv);
        fprintf(stderr, "gureum-sandbox: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127); /* like a shell: the program could not be run */
    }
    child = pid;
    signal(SIGTERM, forward);
    signal(SIGINT, forward);
    for (;;) {
        int status;
        pid_t got = waitpid(-1, &status, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return 125;
        if (got == pid) return wait_status_code(status);
    }
}

int main(int argc, char **argv) {
    int i;
    for (i = 1; i < argc; i++) {
        char *a = argv[i];
        char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--")) { i++; break; }
        if (!v) { errno = EINVAL; die("missing value for", a); }
        if (nops >= MAX_OPS) { errno = E2BIG; die("too many mounts", NULL); }
        struct op *o = &ops[nops];
        if (!strcmp(a, "--cgroup")) { if (ncgroups < 16) cgroups[ncgroups++] = v; }
        else if (!strcmp(a, "--root")) root = v;
        else if (!strcmp(a, "--hostname")) hostname = v;
        else if (!strcmp(a, "--uid")) uid = atol(v);
        else if (!strcmp(a, "--gid")) gid = atol(v);
        else if (!strcmp(a, "--cwd")) cwd = v;
        else if (!strcmp(a, "--bind")) { o->kind = OP_BIND; split(v, &o->a, &o->b); nops++; }
        else if (!strcmp(a, "--bind-rw")) { o->kind = OP_BIND_RW; split(v, &o->a, &o->b); nops++; }
        else if (!strcmp(a, "--tmpfs")) { o->kind = OP_TMPFS; split(v, &o->a, &o->b); nops++; }
        else if (!strcmp(a, "--symlink")) { o->kind = OP_SYMLINK; split(v, &o->a, &o->b); nops++; }
        else if (!strcmp(a, "--dir")) { o->kind = OP_DIR; o->a = v; nops++; }
        else if (!strcmp(a, "--proc")) { o->kind = OP_PROC; o->a = v; nops++; }
        else { errno = EINVAL; die("unknown option", a); }
        i++;
    }
    if (i >= argc) { errno = EINVAL; die("no program given", NULL); }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    join_cgroups();
    if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS) < 0) die("unshare", NULL);
    pid_t pid = fork();
    if (pid < 0) die("fork", NULL);
    if (pid == 0) _exit(run_init(argv + i));
    child = pid;
    signal(SIGTERM, forward);
    signal(SIGINT, forward);
    for (;;) {
        int status;
        pid_t got = waitpid(pid, &status, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return 125;
        return wait_status_code(status);
    }
}
