/* The C side of gureum's Java client hand-over in a spare (dev.gureum.lambda.Main): the
 * process environment itself (what child processes inherit when ProcessBuilder's
 * environment() was never touched) becomes the function's. Names and values arrive as UTF-8
 * bytes (not JNI's modified UTF-8). Built once per client digest with the system cc against
 * the host JDK's jni.h (the JNI ABI is the same for every JVM that loads it). */
#include <jni.h>
#include <stdlib.h>
#include <string.h>

static char *copy(JNIEnv *env, jbyteArray bytes) {
    jsize n = (*env)->GetArrayLength(env, bytes);
    char *s = malloc((size_t)n + 1);
    if (s == NULL) return NULL;
    (*env)->GetByteArrayRegion(env, bytes, 0, n, (jbyte *)s);
    s[n] = '\0';
    return s;
}

JNIEXPORT jint JNICALL Java_dev_gureum_lambda_Main_clearenv0(JNIEnv *env, jclass cls) {
    (void)env;
    (void)cls;
    return clearenv();
}

JNIEXPORT jint JNICALL Java_dev_gureum_lambda_Main_setenv0(JNIEnv *env, jclass cls, jbyteArray name, jbyteArray value) {
    (void)cls;
    char *n = copy(env, name), *v = copy(env, value);
    int rc = (n != NULL && v != NULL) ? setenv(n, v, 1) : -1;
    free(n);
    free(v);
    return rc;
}
