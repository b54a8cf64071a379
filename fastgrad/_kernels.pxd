# The C kernels as the binding (_kernels.pyx) sees them: csrc/fastgrad.h, in its order. The C
# side trusts its arguments; the binding checks them before it calls in without the GIL.
from libc.stddef cimport ptrdiff_t
from libc.stdint cimport int64_t

cdef extern from "fastgrad.h" nogil:
    ctypedef ptrdiff_t fg_idx

    # ---- activations: the table of csrc/activation.h ----
    enum:
        FG_ACT_NONE
        FG_ACT_RELU
        FG_ACT_COUNT
        FG_READS_NOTHING
        FG_READS_X
        FG_READS_Y
        FG_READS_X_OR_Y
        FG_SOFTPLUS_THRESHOLD
    const char *fg_act_name(int act)
    int fg_act_reads(int act)

    # ---- GEMM ----
    void fg_gemm_f32(fg_idx M, fg_idx N, fg_idx K, float alpha,
                     const float *A, fg_idx rsa, fg_idx csa, const float *B, fg_idx rsb,
                     fg_idx csb, float beta, float *C, fg_idx ldc)
    void fg_gemm_f64(fg_idx M, fg_idx N, fg_idx K, double alpha,
                     const double *A, fg_idx rsa, fg_idx csa, const double *B, fg_idx rsb,
                     fg_idx csb, double beta, double *C, fg_idx ldc)

    # ---- dense layer ----
    void fg_dense_forward_f32(fg_idx M, fg_idx N, fg_idx K, const float *X, const float *W,
                              const float *b, int act, double param, float *Z, float *Y)
    void fg_dense_forward_f64(fg_idx M, fg_idx N, fg_idx K, const double *X, const double *W,
                              const double *b, int act, double param, double *Z, double *Y)
    void fg_dense_backward_f32(fg_idx M, fg_idx N, fg_idx K, const float *X, const float *W,
                               const float *Z, const float *Y, int act, double param,
                               float *dY, float *dX, float *dW, float *db, int accumulate)
    void fg_dense_backward_f64(fg_idx M, fg_idx N, fg_idx K, const double *X,
                               const double *W, const double *Z, const double *Y, int act,
                               double param, double *dY, double *dX, double *dW, double *db,
                               int accumulate)

    # ---- elementwise ----
    void fg_act_forward_f32(fg_idx n, int act, double param, const float *x, float *y)
    void fg_act_forward_f64(fg_idx n, int act, double param, const double *x, double *y)
    void fg_act_backward_f32(fg_idx n, int act, double param, const float *x, const float *y,
                             const float *dy, float *dx)
    void fg_act_backward_f64(fg_idx n, int act, double param, const double *x,
                             const double *y, const double *dy, double *dx)
    void fg_erf_f32(fg_idx n, const float *x, float *y)
    void fg_erf_f64(fg_idx n, const double *x, double *y)

    # ---- losses ----
    void fg_cross_entropy_f32(fg_idx M, fg_idx C, const float *X, const int64_t *target,
                              int64_t ignore_index, double label_smoothing, float *loss,
                              float *dX)
    void fg_cross_entropy_f64(fg_idx M, fg_idx C, const double *X, const int64_t *target,
                              int64_t ignore_index, double label_smoothing, double *loss,
                              double *dX)
    double fg_mse_f32(fg_idx n, const float *pred, const float *target, float *sq, float *dX)
    double fg_mse_f64(fg_idx n, const double *pred, const double *target, double *sq,
                      double *dX)
    void fg_scale_f32(fg_idx n, const float *dX, float s, float *y)
    void fg_scale_f64(fg_idx n, const double *dX, double s, double *y)
    double fg_sum_f32(fg_idx n, const float *x)
    double fg_sum_f64(fg_idx n, const double *x)

    # ---- optimizers ----
    void fg_sgd_step_f32(fg_idx n, float *p, const float *g, float *buf, double lr,
                         double momentum, double dampening, double weight_decay, int nesterov,
                         int first)
    void fg_sgd_step_f64(fg_idx n, double *p, const double *g, double *buf, double lr,
                         double momentum, double dampening, double weight_decay, int nesterov,
                         int first)
    void fg_adam_bias_corrections(double beta1, double beta2, int64_t step, double *bc)
    void fg_adam_step_f32(fg_idx n, float *p, const float *g, float *m, float *v, float *vmax,
                          double lr, double beta1, double beta2, double eps,
                          double weight_decay, int decoupled, double bc1, double bc2)
    void fg_adam_step_f64(fg_idx n, double *p, const double *g, double *m, double *v,
                          double *vmax, double lr, double beta1, double beta2, double eps,
                          double weight_decay, int decoupled, double bc1, double bc2)

    # ---- softmax ----
    void fg_softmax_forward_f32(fg_idx outer, fg_idx n, fg_idx inner, const float *x, float *y,
                                int log_softmax)
    void fg_softmax_forward_f64(fg_idx outer, fg_idx n, fg_idx inner, const double *x,
                                double *y, int log_softmax)
    void fg_softmax_backward_f32(fg_idx outer, fg_idx n, fg_idx inner, const float *y,
                                 const float *dy, float *dx, int log_softmax)
    void fg_softmax_backward_f64(fg_idx outer, fg_idx n, fg_idx inner, const double *y,
                                 const double *dy, double *dx, int log_softmax)

    # ---- threads and dispatch ----
    void fg_set_num_threads(int n)
    int fg_get_num_threads()
    const char *fg_isa_name()
    int fg_set_isa(const char *name)
    void fg_gemm_blocking(int itemsize, fg_idx out[6])


# For the engine's loss node (_engine.pyx cimports it): a call without Python's argument passing.
cdef object scaled(object dX, double s)
