/* gureum-sandbox: start one process tree in its own mount, pid, ipc and uts namespaces.
 *
 * Built once per source version by gureum/sandbox/launcher.py (gcc), run as root:
 *
 *   gureum-sandbox [--cgroup DIR]... [--netns FD] [--root DIR [MOUNT-OPS]...] [--hostname NAME]
 *                  [--uid N] [--gid N] [--cwd DIR] -- PROGRAM ARGS...
 *
 * --netns FD: an open network namespace (inherited fd) the tree joins instead of the host's.
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
 * through PDEATHSIG, so killing P kills the whole tree (INIT, once it has set PDEATHSIG, checks
 * that P is still there, by a pipe only P holds open: P killed before that is caught too).
 * The environment passes through.
 * INIT's argv is overwritten with "init" once the program is forked, so /proc/1/cmdline
 * shows no host path. The program runs with no_new_privs and a seccomp filter (see
 * install_seccomp) that refuses with EPERM what Docker's default profile refuses: new
 * namespaces (user ones above all), setns, mounts, kernel keyrings, ptrace and process_vm_*,
 * bpf, perf events, module loading, kexec, reboot, swap, acct, open_by_handle_at,
 * userfaultfd; clone3 gets ENOSYS (its flags cannot be inspected) so libc falls back to
 * clone, whose flags are checked; any other architecture (i386, x32 calls) gets EPERM.
 * Exit status: the program's (128+N when killed by signal N), 127 when it could not be
 * executed, 126 when the sandbox could not be set up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
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
static int netns_fd = -1;
static int launcher_alive = -1; /* INIT: the read end of a pipe only P writes to (EOF: P is gone) */
static pid_t child;
static char *args_start, *args_end; /* our own argv strings, overwritten in INIT */

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

/* One BPF program: x86_64 only; listed calls fail with EPERM; clone/unshare with namespace
 * flags fail with EPERM; clone3 with ENOSYS; everything else is allowed. */
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
                  CLONE_NEWPID | CLONE_NEWNET | 0x00000080 /* CLONE_NEWTIME */)
#define DENY(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)
#define SYSCALL_NR offsetof(struct seccomp_data, nr)
#define ARG0_LO offsetof(struct seccomp_data, args[0])

static void install_seccomp(void) {
#if defined(__x86_64__)
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SYSCALL_NR),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1), /* x32 ABI */
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        /* clone and unshare: refuse namespace flags (arg 0, low word) */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_unshare, 0, 4),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LO),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        DENY(SYS_setns), DENY(SYS_keyctl), DENY(SYS_add_key), DENY(SYS_request_key),
        DENY(SYS_ptrace), DENY(SYS_process_vm_readv), DENY(SYS_process_vm_writev),
        DENY(SYS_bpf), DENY(SYS_perf_event_open), DENY(SYS_mount), DENY(SYS_umount2),
        DENY(SYS_pivot_root), DENY(SYS_chroot), DENY(SYS_kexec_load), DENY(SYS_kexec_file_load),
        DENY(SYS_init_module), DENY(SYS_finit_module), DENY(SYS_delete_module), DENY(SYS_reboot),
        DENY(SYS_swapon), DENY(SYS_swapoff), DENY(SYS_acct), DENY(SYS_open_by_handle_at),
        DENY(SYS_name_to_handle_at), DENY(SYS_userfaultfd), DENY(SYS_lookup_dcookie),
        DENY(SYS_quotactl), DENY(SYS_iopl), DENY(SYS_ioperm),
        DENY(428 /* open_tree */), DENY(429 /* move_mount */), DENY(430 /* fsopen */),
        DENY(431 /* fsconfig */), DENY(432 /* fsmount */), DENY(433 /* fspick */),
        DENY(442 /* mount_setattr */),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = sizeof filter / sizeof filter[0], .filter = filter };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("no_new_privs", NULL);
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) die("seccomp", NULL);
#else
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("no_new_privs", NULL);
#endif
}

/* /proc/1/cmdline must not show the host paths in our arguments. */
static void hide_args(void) {
    if (!args_start || args_end <= args_start) return;
    memset(args_start, 0, (size_t)(args_end - args_start));
    strcpy(args_start, "init");
    prctl(PR_SET_MM, PR_SET_MM_ARG_END, (unsigned long)(args_start + 5), 0, 0);
}

static int run_init(char **argv) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* P may have died before that (killed while a freeze held INIT before this line): then no
     * death signal comes, and INIT would run the program on with no launcher. */
    struct pollfd gone = { launcher_alive, POLLIN, 0 };
    if (launcher_alive >= 0 && poll(&gone, 1, 0) != 0) _exit(128 + SIGKILL);
    if (launcher_alive >= 0) close(launcher_alive);
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
        install_seccomp();
        execvp(argv[0], argv);
        fprintf(stderr, "gureum-sandbox: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127); /* like a shell: the program could not be run */
    }
    child = pid;
    hide_args();
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
        else if (!strcmp(a, "--netns")) netns_fd = atoi(v);
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
    args_start = argv[0];
    args_end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    join_cgroups();
    if (netns_fd >= 0) {
        if (setns(netns_fd, CLONE_NEWNET) < 0) die("setns net", NULL);
        close(netns_fd);
    }
    if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS) < 0) die("unshare", NULL);
    int alive[2];
    if (pipe2(alive, O_CLOEXEC) < 0) die("pipe", NULL);
    pid_t pid = fork();
    if (pid < 0) die("fork", NULL);
    if (pid == 0) {
        close(alive[1]);
        launcher_alive = alive[0];
        _exit(run_init(argv + i));
    }
    close(alive[0]);  /* (P keeps the write end open until it exits) */
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
