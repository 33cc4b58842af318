// Default entries of the "pickle" policy domain. See docs/policy.md.
//
// Allowlist first: a global that no entry matches is reported as an unknown
// callable (MATS-PKL-002, medium). Deny entries only assign a severity and a
// category to the gadget classes of ../shared/reference/formats-and-attacks.md
// section 2. The longest matching entry wins, so an exact allow entry (for
// example joblib.numpy_pickle.NumpyArrayWrapper) carves a single name out of
// a denied package (joblib), and a deny entry (sklearn.datasets) carves a
// package out of a broad allow (sklearn).
#include <string_view>
#include <vector>

#include "mats/pickle/pickle.h"

namespace mats::pickle {
namespace {

struct Allow {
  std::string_view name;
  bool exact;
  std::string_view reason;
};

struct Deny {
  std::string_view name;
  Severity severity;
  std::string_view category;
  std::string_view reason;
};

// Categories (docs/policy.md).
constexpr std::string_view kExec = "direct execution";
constexpr std::string_view kProcess = "process spawning";
constexpr std::string_view kImport = "import machinery and name resolvers";
constexpr std::string_view kRunner = "code runners, profilers and debuggers";
constexpr std::string_view kChain = "call chaining";
constexpr std::string_view kFile = "file I/O";
constexpr std::string_view kNet = "network I/O";
constexpr std::string_view kInstall = "package installers";
constexpr std::string_view kNested = "nested deserializers and loaders";
constexpr std::string_view kNative = "native code and bytecode";
constexpr std::string_view kInterp = "interpreter state tampering";
constexpr std::string_view kThird = "third-party internals";

constexpr Severity kCrit = Severity::kCritical;
constexpr Severity kHigh = Severity::kHigh;
constexpr Severity kMed = Severity::kMedium;

constexpr std::string_view kTorchR = "PyTorch weights_only unpickler allowlist";
constexpr std::string_view kNumpyR = "NumPy array, dtype and RNG state pickles";
constexpr std::string_view kStdR = "stdlib data type";

constexpr Allow kAllows[] = {
    // PyTorch (torch/_weights_only_unpickler.py and torch.save of modules).
    {"collections.OrderedDict", true, kTorchR},
    {"collections.Counter", true, kStdR},
    {"collections.defaultdict", true, kStdR},
    {"collections.deque", true, kStdR},
    {"torch._utils._rebuild_tensor", true, kTorchR},
    {"torch._utils._rebuild_tensor_v2", true, kTorchR},
    // TorchScript's .debug_pkl and constants.pkl rebuild lists and tensors
    // with these helpers (torch/jit/_pickle.py): pure data constructors.
    // TorchScript archives as a whole are flagged by MATS-PT-001.
    {"torch.jit._pickle.build_intlist", true, kTorchR},
    {"torch.jit._pickle.build_tensorlist", true, kTorchR},
    {"torch.jit._pickle.build_doublelist", true, kTorchR},
    {"torch.jit._pickle.build_boollist", true, kTorchR},
    {"torch.jit._pickle.build_tensor_from_id", true, kTorchR},
    {"torch.jit._pickle.restore_type_tag", true, kTorchR},
    {"torch._utils._rebuild_tensor_v3", true, kTorchR},
    {"torch._utils._rebuild_parameter", true, kTorchR},
    {"torch._utils._rebuild_parameter_with_state", true, kTorchR},
    {"torch._utils._rebuild_sparse_tensor", true, kTorchR},
    {"torch._utils._rebuild_sparse_csr_tensor", true, kTorchR},
    {"torch._utils._rebuild_meta_tensor_no_storage", true, kTorchR},
    {"torch._utils._rebuild_nested_tensor", true, kTorchR},
    {"torch._utils._rebuild_qtensor", true, kTorchR},
    {"torch._utils._rebuild_wrapper_subclass", true, kTorchR},
    {"torch._utils._rebuild_device_tensor_from_numpy", true, kTorchR},
    {"torch._utils._rebuild_device_tensor_from_cpu_tensor", true, kTorchR},
    {"torch._utils._rebuild_xla_tensor", true, kTorchR},
    {"torch._tensor._rebuild_from_type", true, kTorchR},
    {"torch._tensor._rebuild_from_type_v2", true, kTorchR},
    {"torch.serialization._get_layout", true, kTorchR},
    {"torch.Size", true, kTorchR},
    {"torch.Tensor", true, kTorchR},
    {"torch.device", true, kTorchR},
    {"torch.nn.parameter.Parameter", true, kTorchR},
    {"torch.nn.parameter.UninitializedParameter", true, kTorchR},
    {"torch.nn.parameter.Buffer", true, kTorchR},
    {"torch.storage.UntypedStorage", true, kTorchR},
    {"torch.storage.TypedStorage", true, kTorchR},
    {"torch.torch_version.TorchVersion", true, kTorchR},
    {"torch.nn.modules", false,
     "layer classes of torch.save(model) (audited by "
     "tools/gen/pickle_policy_audit.py)"},
    {"torch.FloatStorage", true, kTorchR},
    {"torch.DoubleStorage", true, kTorchR},
    {"torch.HalfStorage", true, kTorchR},
    {"torch.BFloat16Storage", true, kTorchR},
    {"torch.LongStorage", true, kTorchR},
    {"torch.IntStorage", true, kTorchR},
    {"torch.ShortStorage", true, kTorchR},
    {"torch.CharStorage", true, kTorchR},
    {"torch.ByteStorage", true, kTorchR},
    {"torch.BoolStorage", true, kTorchR},
    {"torch.ComplexFloatStorage", true, kTorchR},
    {"torch.ComplexDoubleStorage", true, kTorchR},
    {"torch.QUInt8Storage", true, kTorchR},
    {"torch.QInt8Storage", true, kTorchR},
    {"torch.QInt32Storage", true, kTorchR},
    {"torch.QUInt4x2Storage", true, kTorchR},
    {"torch.QUInt2x4Storage", true, kTorchR},
    {"torch.cuda.FloatStorage", true, kTorchR},
    {"torch.cuda.DoubleStorage", true, kTorchR},
    {"torch.cuda.HalfStorage", true, kTorchR},
    {"torch.cuda.BFloat16Storage", true, kTorchR},
    {"torch.cuda.LongStorage", true, kTorchR},
    {"torch.cuda.IntStorage", true, kTorchR},
    {"torch.cuda.ShortStorage", true, kTorchR},
    {"torch.cuda.CharStorage", true, kTorchR},
    {"torch.cuda.ByteStorage", true, kTorchR},
    {"torch.cuda.BoolStorage", true, kTorchR},
    // torch dtypes, layouts, memory formats and quantization schemes are
    // pickled as module attributes ("torch float32").
    {"torch.float32", true, kTorchR}, {"torch.float", true, kTorchR},
    {"torch.float64", true, kTorchR}, {"torch.double", true, kTorchR},
    {"torch.float16", true, kTorchR}, {"torch.half", true, kTorchR},
    {"torch.bfloat16", true, kTorchR}, {"torch.complex32", true, kTorchR},
    {"torch.chalf", true, kTorchR}, {"torch.complex64", true, kTorchR},
    {"torch.cfloat", true, kTorchR}, {"torch.complex128", true, kTorchR},
    {"torch.cdouble", true, kTorchR}, {"torch.uint8", true, kTorchR},
    {"torch.int8", true, kTorchR}, {"torch.int16", true, kTorchR},
    {"torch.short", true, kTorchR}, {"torch.int32", true, kTorchR},
    {"torch.int", true, kTorchR}, {"torch.int64", true, kTorchR},
    {"torch.long", true, kTorchR}, {"torch.bool", true, kTorchR},
    {"torch.qint8", true, kTorchR}, {"torch.quint8", true, kTorchR},
    {"torch.qint32", true, kTorchR}, {"torch.quint4x2", true, kTorchR},
    {"torch.quint2x4", true, kTorchR}, {"torch.uint16", true, kTorchR},
    {"torch.uint32", true, kTorchR}, {"torch.uint64", true, kTorchR},
    {"torch.float8_e4m3fn", true, kTorchR}, {"torch.float8_e5m2", true, kTorchR},
    {"torch.float8_e4m3fnuz", true, kTorchR},
    {"torch.float8_e5m2fnuz", true, kTorchR},
    {"torch.strided", true, kTorchR}, {"torch.sparse_coo", true, kTorchR},
    {"torch.sparse_csr", true, kTorchR}, {"torch.sparse_csc", true, kTorchR},
    {"torch.sparse_bsr", true, kTorchR}, {"torch.sparse_bsc", true, kTorchR},
    {"torch._mkldnn", true, kTorchR},
    {"torch.contiguous_format", true, kTorchR},
    {"torch.channels_last", true, kTorchR},
    {"torch.channels_last_3d", true, kTorchR},
    {"torch.preserve_format", true, kTorchR},
    {"torch.per_tensor_affine", true, kTorchR},
    {"torch.per_channel_affine", true, kTorchR},
    {"torch.per_tensor_symmetric", true, kTorchR},
    {"torch.per_channel_symmetric", true, kTorchR},
    {"torch.per_channel_affine_float_qparams", true, kTorchR},
    // bytes at protocol < 3 (torch and numpy RNG state): _codecs.encode(s,
    // 'latin1').
    {"_codecs.encode", true, "bytes pickled at protocol < 3"},
    // NumPy.
    {"numpy.core.multiarray._reconstruct", true, kNumpyR},
    {"numpy.core.multiarray.scalar", true, kNumpyR},
    {"numpy._core.multiarray._reconstruct", true, kNumpyR},
    {"numpy._core.multiarray.scalar", true, kNumpyR},
    {"numpy.core.numeric._frombuffer", true, kNumpyR},
    {"numpy._core.numeric._frombuffer", true, kNumpyR},
    {"numpy.ndarray", true, kNumpyR},
    {"numpy.dtype", true, kNumpyR},
    {"numpy.dtypes", false, kNumpyR},
    {"numpy.ma.core._mareconstruct", true, kNumpyR},
    {"numpy.ma.core.MaskedArray", true, kNumpyR},
    {"numpy.random._pickle.__randomstate_ctor", true, kNumpyR},
    {"numpy.random._pickle.__generator_ctor", true, kNumpyR},
    {"numpy.random._pickle.__bit_generator_ctor", true, kNumpyR},
    {"numpy.random.mtrand.RandomState", true, kNumpyR},
    {"numpy.random._generator.Generator", true, kNumpyR},
    {"numpy.random._mt19937.MT19937", true, kNumpyR},
    {"numpy.random._pcg64.PCG64", true, kNumpyR},
    {"numpy.random._pcg64.PCG64DXSM", true, kNumpyR},
    {"numpy.random._philox.Philox", true, kNumpyR},
    {"numpy.random._sfc64.SFC64", true, kNumpyR},
    {"numpy.random.bit_generator.SeedSequence", true, kNumpyR},
    {"numpy.bool_", true, kNumpyR}, {"numpy.int8", true, kNumpyR},
    {"numpy.int16", true, kNumpyR}, {"numpy.int32", true, kNumpyR},
    {"numpy.int64", true, kNumpyR}, {"numpy.uint8", true, kNumpyR},
    {"numpy.uint16", true, kNumpyR}, {"numpy.uint32", true, kNumpyR},
    {"numpy.uint64", true, kNumpyR}, {"numpy.intc", true, kNumpyR},
    {"numpy.intp", true, kNumpyR}, {"numpy.float16", true, kNumpyR},
    {"numpy.float32", true, kNumpyR}, {"numpy.float64", true, kNumpyR},
    {"numpy.longdouble", true, kNumpyR}, {"numpy.complex64", true, kNumpyR},
    {"numpy.complex128", true, kNumpyR}, {"numpy.object_", true, kNumpyR},
    {"numpy.str_", true, kNumpyR}, {"numpy.bytes_", true, kNumpyR},
    {"numpy.datetime64", true, kNumpyR}, {"numpy.timedelta64", true, kNumpyR},
    // scikit-learn: estimator classes live in ~80 modules (plus Cython
    // types such as sklearn.tree._tree.Tree); the whole package is allowed
    // and its dangerous parts and re-exports are denied below.
    {"sklearn", false,
     "scikit-learn estimators (broad; see docs/policy.md and "
     "tools/gen/pickle_policy_audit.py)"},
    {"scipy.sparse._csr.csr_matrix", true, "sparse matrices in estimators"},
    {"scipy.sparse._csc.csc_matrix", true, "sparse matrices in estimators"},
    {"scipy.sparse._coo.coo_matrix", true, "sparse matrices in estimators"},
    {"scipy.sparse._bsr.bsr_matrix", true, "sparse matrices in estimators"},
    {"scipy.sparse._dia.dia_matrix", true, "sparse matrices in estimators"},
    {"scipy.sparse._lil.lil_matrix", true, "sparse matrices in estimators"},
    {"scipy.sparse._dok.dok_matrix", true, "sparse matrices in estimators"},
    {"scipy.sparse._arrays.csr_array", true, "sparse matrices in estimators"},
    {"scipy.sparse._arrays.csc_array", true, "sparse matrices in estimators"},
    {"scipy.sparse._arrays.coo_array", true, "sparse matrices in estimators"},
    {"scipy.sparse.csr.csr_matrix", true, "sparse matrices in estimators"},
    {"scipy.sparse.csc.csc_matrix", true, "sparse matrices in estimators"},
    {"scipy.sparse.coo.coo_matrix", true, "sparse matrices in estimators"},
    // joblib: the inline-array wrapper only (joblib itself is denied).
    {"joblib.numpy_pickle.NumpyArrayWrapper", true, "joblib inline arrays"},
    {"sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper", true,
     "joblib inline arrays (sklearn < 0.23)"},
    // Python builtins and stdlib data types.
    {"builtins.set", true, kStdR}, {"builtins.frozenset", true, kStdR},
    {"builtins.complex", true, kStdR}, {"builtins.slice", true, kStdR},
    {"builtins.bytearray", true, kStdR}, {"builtins.bytes", true, kStdR},
    {"builtins.range", true, kStdR}, {"builtins.object", true, kStdR},
    {"builtins.list", true, kStdR}, {"builtins.dict", true, kStdR},
    {"builtins.tuple", true, kStdR}, {"builtins.str", true, kStdR},
    {"builtins.int", true, kStdR}, {"builtins.float", true, kStdR},
    {"builtins.bool", true, kStdR}, {"builtins.Ellipsis", true, kStdR},
    {"builtins.NotImplemented", true, kStdR},
    {"copyreg._reconstructor", true, "default object reconstruction"},
    {"copyreg.__newobj__", true, "default object reconstruction"},
    {"copyreg.__newobj_ex__", true, "default object reconstruction"},
    {"datetime.datetime", true, kStdR}, {"datetime.date", true, kStdR},
    {"datetime.time", true, kStdR}, {"datetime.timedelta", true, kStdR},
    {"datetime.timezone", true, kStdR}, {"decimal.Decimal", true, kStdR},
    {"fractions.Fraction", true, kStdR}, {"uuid.UUID", true, kStdR},
    {"pathlib.PosixPath", true, kStdR}, {"pathlib.WindowsPath", true, kStdR},
    {"pathlib.PurePosixPath", true, kStdR},
    {"pathlib.PureWindowsPath", true, kStdR},
    {"argparse.Namespace", true, kStdR},
    {"types.SimpleNamespace", true, kStdR},
};

constexpr Deny kDenies[] = {
    // Direct execution.
    {"builtins.eval", kCrit, kExec, "evaluates Python source"},
    {"builtins.exec", kCrit, kExec, "executes Python source"},
    {"builtins.compile", kCrit, kExec, "compiles Python source to code"},
    {"builtins.__import__", kCrit, kImport, "imports any module"},
    {"builtins.breakpoint", kHigh, kRunner, "enters a debugger"},
    {"builtins.open", kHigh, kFile, "opens files"},
    {"builtins.getattr", kHigh, kChain, "reaches any attribute of any object"},
    {"builtins.setattr", kHigh, kChain, "patches attributes at load time"},
    {"builtins.delattr", kHigh, kChain, "deletes attributes at load time"},
    {"builtins.globals", kHigh, kInterp, "exposes interpreter globals"},
    {"builtins.locals", kHigh, kInterp, "exposes interpreter locals"},
    {"builtins.vars", kHigh, kInterp, "exposes object namespaces"},
    {"builtins.type", kHigh, kNative, "creates classes at load time"},
    {"builtins.input", kMed, kInterp, "reads standard input"},
    {"builtins.exit", kMed, kInterp, "exits the loading process"},
    {"builtins.quit", kMed, kInterp, "exits the loading process"},
    {"builtins.help", kMed, kInterp, "starts the interactive help"},
    {"builtins.memoryview", kMed, kNative, "raw memory views"},
    // Process spawning.
    {"os", kCrit, kProcess, "os.system, os.exec*, os.spawn*, os.popen, file I/O"},
    {"posix", kCrit, kProcess, "os.system as pickled on Unix"},
    {"nt", kCrit, kProcess, "os.system as pickled on Windows"},
    {"subprocess", kCrit, kProcess, "runs commands"},
    {"_posixsubprocess", kCrit, kProcess, "runs commands"},
    {"pty", kCrit, kProcess, "pty.spawn runs commands"},
    {"popen2", kCrit, kProcess, "runs commands (Python 2)"},
    {"multiprocessing", kCrit, kProcess, "starts processes"},
    {"_multiprocessing", kCrit, kProcess, "starts processes"},
    {"concurrent", kHigh, kProcess, "starts workers"},
    {"asyncio", kHigh, kProcess,
     "asyncio.create_subprocess_*, unix_events._UnixSubprocessTransport"},
    {"platform", kHigh, kProcess, "platform helpers run commands"},
    {"uuid._get_command_stdout", kCrit, kProcess, "runs a command (CVE-2026-56315)"},
    {"uuid._popen", kCrit, kProcess, "runs a command"},
    {"imaplib", kHigh, kNet, "IMAP4_stream runs a command (CVE-2025-71364)"},
    {"_osx_support", kCrit, kProcess, "_read_output runs a command"},
    {"distutils", kCrit, kInstall, "spawns compilers and installers"},
    {"webbrowser", kHigh, kProcess, "starts a browser with a URL"},
    {"antigravity", kHigh, kProcess, "starts a browser"},
    {"signal", kHigh, kInterp, "changes signal handling"},
    {"threading", kHigh, kProcess, "starts threads"},
    {"_thread", kHigh, kProcess, "starts threads"},
    {"atexit", kHigh, kInterp, "registers exit handlers"},
    {"gc", kHigh, kInterp, "reaches every live object"},
    {"sys", kHigh, kInterp, "sys.modules, settrace, exit, path manipulation"},
    {"resource", kHigh, kInterp, "changes process limits"},
    {"faulthandler", kMed, kInterp, "changes crash handling"},
    // Import machinery and name resolvers.
    {"importlib", kCrit, kImport, "imports any module"},
    {"pkgutil", kCrit, kImport, "pkgutil.resolve_name resolves any name"},
    {"pydoc", kCrit, kImport, "pydoc.locate resolves any name"},
    {"runpy", kCrit, kImport, "runs modules as scripts"},
    {"imp", kCrit, kImport, "imports any module"},
    {"zipimport", kCrit, kImport, "imports code from zip files"},
    {"pkg_resources", kHigh, kImport, "resolves entry points"},
    {"site", kHigh, kImport, "changes the import path"},
    {"torch.package", kHigh, kImport, "imports packaged code"},
    // Code runners, profilers, debuggers.
    {"code", kCrit, kRunner, "InteractiveInterpreter.runcode runs code"},
    {"codeop", kCrit, kRunner, "compiles code"},
    {"cProfile", kCrit, kRunner, "runctx runs code (CVE-2025-71351)"},
    {"profile", kCrit, kRunner, "runctx runs code"},
    {"trace", kCrit, kRunner, "Trace.runctx runs code (CVE-2025-71352)"},
    {"timeit", kCrit, kRunner, "timeit runs code (CVE-2025-71354)"},
    {"doctest", kCrit, kRunner, "debug_script runs code"},
    {"idlelib", kCrit, kRunner, "IDLE runs code"},
    {"pdb", kCrit, kRunner, "debugger runs code"},
    {"bdb", kCrit, kRunner, "debugger runs code"},
    {"lib2to3", kHigh, kRunner, "refactoring tool runs fixers"},
    {"tkinter", kHigh, kRunner, "Tcl interpreter"},
    {"_tkinter", kHigh, kRunner, "Tcl interpreter"},
    {"jinja2", kHigh, kRunner, "renders templates that can run code"},
    {"ast", kMed, kRunner, "builds code objects"},
    // Call chaining helpers.
    {"operator", kHigh, kChain, "attrgetter/methodcaller/itemgetter chain calls"},
    {"_operator", kHigh, kChain, "attrgetter/methodcaller/itemgetter chain calls"},
    {"functools", kHigh, kChain, "partial/reduce chain calls"},
    {"_functools", kHigh, kChain, "partial/reduce chain calls"},
    {"itertools", kMed, kChain, "starmap and friends chain calls"},
    {"builtins.map", kMed, kChain, "map(f, ...) chains calls"},
    {"builtins.filter", kMed, kChain, "filter(f, ...) chains calls"},
    {"inspect", kMed, kChain, "reaches frames and source"},
    // File I/O.
    {"io", kHigh, kFile, "opens files"},
    {"_io", kHigh, kFile, "FileIO opens files"},
    {"shutil", kHigh, kFile, "copies, moves and deletes files"},
    {"tempfile", kHigh, kFile, "creates files"},
    {"glob", kMed, kFile, "lists files"},
    {"fileinput", kHigh, kFile, "reads files"},
    {"zipfile", kHigh, kFile, "reads and extracts archives"},
    {"tarfile", kHigh, kFile, "reads and extracts archives"},
    {"gzip", kHigh, kFile, "opens files"},
    {"bz2", kHigh, kFile, "opens files"},
    {"lzma", kHigh, kFile, "opens files"},
    {"logging", kHigh, kFile, "FileHandler writes files (CVE-2026-56304)"},
    {"mmap", kHigh, kNative, "maps files into memory"},
    {"sqlite3", kHigh, kFile, "opens database files"},
    {"dbm", kHigh, kFile, "opens database files"},
    {"pathlib.Path", kHigh, kFile, "Path methods read and write files"},
    {"posixpath", kMed, kFile, "path helpers"},
    {"ntpath", kMed, kFile, "path helpers"},
    // Network I/O.
    {"socket", kHigh, kNet, "opens connections"},
    {"_socket", kHigh, kNet, "opens connections"},
    {"ssl", kHigh, kNet, "get_server_certificate connects (DNS exfiltration)"},
    {"_ssl", kHigh, kNet, "opens connections"},
    {"urllib", kHigh, kNet, "urlopen/urlretrieve"},
    {"urllib2", kHigh, kNet, "urlopen (Python 2)"},
    {"http", kHigh, kNet, "HTTP clients and servers"},
    {"httplib", kHigh, kNet, "HTTP client (Python 2)"},
    {"ftplib", kHigh, kNet, "FTP client"},
    {"smtplib", kHigh, kNet, "sends mail"},
    {"poplib", kHigh, kNet, "mail client"},
    {"telnetlib", kHigh, kNet, "telnet client"},
    {"nntplib", kHigh, kNet, "news client"},
    {"xmlrpc", kHigh, kNet, "RPC client and server"},
    {"socketserver", kHigh, kNet, "network servers"},
    {"requests", kHigh, kNet, "HTTP client"},
    {"urllib3", kHigh, kNet, "HTTP client"},
    {"httpx", kHigh, kNet, "HTTP client"},
    {"aiohttp", kHigh, kNet, "HTTP client"},
    {"huggingface_hub", kHigh, kNet, "downloads files"},
    // Package installers.
    {"pip", kCrit, kInstall, "pip.main installs packages (CVE-2025-1716)"},
    {"ensurepip", kCrit, kInstall, "_run_pip installs packages"},
    {"setuptools", kCrit, kInstall, "builds and installs packages"},
    {"venv", kHigh, kInstall, "creates environments, runs pip"},
    // Nested deserializers and loaders.
    {"pickle", kCrit, kNested, "loads another pickle"},
    {"_pickle", kCrit, kNested, "loads another pickle"},
    {"cPickle", kCrit, kNested, "loads another pickle (Python 2)"},
    {"pickletools", kHigh, kNested, "pickle internals"},
    {"copyreg", kHigh, kNested, "extension registry and reducers"},
    {"shelve", kCrit, kNested, "loads pickles from a file"},
    {"marshal", kCrit, kNative, "loads code objects"},
    {"dill", kCrit, kNested, "loads pickles and builds functions"},
    {"cloudpickle", kCrit, kNested, "loads pickles and builds functions"},
    {"joblib", kCrit, kNested, "joblib.load unpickles files"},
    {"jsonpickle", kCrit, kNested, "decodes objects"},
    {"yaml", kHigh, kNested, "yaml.load/unsafe_load build objects"},
    {"torch.load", kCrit, kNested, "loads another checkpoint"},
    {"torch.serialization", kCrit, kNested, "torch.serialization.load"},
    {"torch.storage._load_from_bytes", kCrit, kNested, "calls torch.load"},
    {"torch.hub", kCrit, kNested, "downloads and runs hubconf code"},
    {"torch.jit", kCrit, kRunner, "compiles and loads TorchScript"},
    {"torch._inductor", kCrit, kThird,
     "codecache.compile_file compiles and loads native code"},
    {"torch.utils.collect_env", kCrit, kThird, "run() runs commands (CVE-2025-71365)"},
    {"torch.utils.cpp_extension", kCrit, kNative, "compiles and loads native code"},
    {"torch._dynamo", kHigh, kThird, "compiles code"},
    {"torch._ops", kHigh, kThird, "operators include file I/O"},
    {"torch.ops", kHigh, kThird, "operators include file I/O"},
    {"torch.classes", kHigh, kThird, "TorchScript classes"},
    {"torch.save", kHigh, kFile, "writes files"},
    {"torch.from_file", kHigh, kFile, "reads files"},
    {"numpy.load", kCrit, kNested, "numpy.load(allow_pickle=True)"},
    {"numpy.lib.npyio", kCrit, kNested, "numpy.load and text readers"},
    {"numpy.loadtxt", kHigh, kFile, "reads files"},
    {"numpy.genfromtxt", kHigh, kFile, "reads files"},
    {"numpy.fromfile", kHigh, kFile, "reads files"},
    {"numpy.save", kHigh, kFile, "writes files"},
    {"numpy.savez", kHigh, kFile, "writes files"},
    {"numpy.savetxt", kHigh, kFile, "writes files"},
    {"numpy.memmap", kHigh, kFile, "maps files"},
    {"numpy.f2py", kCrit, kThird, "crackfortran.myeval evaluates source"},
    {"numpy.distutils", kCrit, kInstall, "spawns compilers"},
    {"numpy.testing", kHigh, kProcess, "test helpers run commands"},
    {"numpy.ctypeslib", kCrit, kNative, "loads native libraries"},
    {"keras.models.load_model", kHigh, kNested, "loads another model"},
    {"keras.saving", kHigh, kNested, "loads another model"},
    {"tensorflow.io", kHigh, kFile, "file I/O"},
    {"transformers.dynamic_module_utils", kCrit, kThird, "imports remote code"},
    {"sklearn.datasets", kHigh, kNet, "dataset fetchers download and write files"},
    {"sklearn.externals", kHigh, kNested, "vendored joblib/cloudpickle loaders"},
    {"sklearn.utils._testing", kHigh, kProcess, "test helpers run commands"},
    {"sklearn.utils._joblib", kHigh, kNested, "re-exports joblib.load"},
    {"sklearn.utils.discovery", kHigh, kImport, "imports modules"},
    // Native code and bytecode.
    {"ctypes", kCrit, kNative, "CDLL loads native libraries"},
    {"_ctypes", kCrit, kNative, "loads native libraries"},
    {"cffi", kCrit, kNative, "loads native libraries"},
    {"types", kCrit, kNative, "CodeType/FunctionType build functions"},
    {"builtins.classmethod", kMed, kNative, "wraps functions"},
    {"builtins.staticmethod", kMed, kNative, "wraps functions"},
    {"builtins.property", kMed, kNative, "wraps functions"},
    {"builtins.super", kMed, kNative, "reaches base classes"},
};

// Re-exports of dangerous callables inside allowlisted packages, found by
// tools/gen/pickle_policy_audit.py (scikit-learn 1.2.1, torch 1.13).
struct Reexport {
  std::string_view name;
  std::string_view origin;
};
constexpr Reexport kReexports[] = {
    {"sklearn.calibration.partial", "functools"},
    {"sklearn.ensemble._bagging.partial", "functools"},
    {"sklearn.ensemble._hist_gradient_boosting.gradient_boosting.partial", "functools"},
    {"sklearn.feature_extraction._dict_vectorizer.itemgetter", "operator"},
    {"sklearn.feature_extraction.text.itemgetter", "operator"},
    {"sklearn.feature_extraction.text.partial", "functools"},
    {"sklearn.feature_selection._base.attrgetter", "operator"},
    {"sklearn.gaussian_process._gpc.itemgetter", "operator"},
    {"sklearn.gaussian_process._gpr.itemgetter", "operator"},
    {"sklearn.linear_model._coordinate_descent.partial", "functools"},
    {"sklearn.linear_model._ridge.partial", "functools"},
    {"sklearn.metrics._ranking.partial", "functools"},
    {"sklearn.metrics._scorer.partial", "functools"},
    {"sklearn.metrics.pairwise.partial", "functools"},
    {"sklearn.model_selection._search.partial", "functools"},
    {"sklearn.model_selection._validation.partial", "functools"},
    {"sklearn.neighbors._base.partial", "functools"},
    {"sklearn.utils.parallel_backend", "joblib.parallel"},
    {"sklearn.utils.register_parallel_backend", "joblib.parallel"},
    {"sklearn.utils._available_if.update_wrapper", "functools"},
    {"sklearn.utils._available_if.wraps", "functools"},
    {"sklearn.utils._set_output.wraps", "functools"},
    {"sklearn.utils.discovery.import_module", "importlib"},
    {"sklearn.utils.discovery.itemgetter", "operator"},
    {"sklearn.utils.estimator_checks.partial", "functools"},
    {"sklearn.utils.estimator_checks.wraps", "functools"},
    {"sklearn.utils.metaestimators.attrgetter", "operator"},
    {"sklearn.utils.parallel.update_wrapper", "functools"},
    {"sklearn.utils.validation.wraps", "functools"},
};

std::vector<PolicyEntry> BuildEntries() {
  std::vector<PolicyEntry> v;
  v.reserve(std::size(kAllows) + std::size(kDenies) + std::size(kReexports));
  for (const Allow& a : kAllows) {
    PolicyEntry e;
    e.domain = std::string(kPolicyDomain);
    e.name = std::string(a.name);
    e.action = PolicyAction::kAllow;
    e.severity = Severity::kInfo;
    e.exact = a.exact;
    e.category = "allowed";
    e.reason = std::string(a.reason);
    v.push_back(std::move(e));
  }
  for (const Deny& d : kDenies) {
    PolicyEntry e;
    e.domain = std::string(kPolicyDomain);
    e.name = std::string(d.name);
    e.action = PolicyAction::kDeny;
    e.severity = d.severity;
    e.category = std::string(d.category);
    e.reason = std::string(d.reason);
    v.push_back(std::move(e));
  }
  for (const Reexport& r : kReexports) {
    PolicyEntry e;
    e.domain = std::string(kPolicyDomain);
    e.name = std::string(r.name);
    e.action = PolicyAction::kDeny;
    e.severity = kHigh;
    e.exact = true;
    e.category = std::string(
        r.origin.substr(0, r.origin.find('.')) == "operator" ||
                r.origin == "functools"
            ? kChain
            : r.origin == "importlib" ? kImport : kProcess);
    e.reason = "re-export of " + std::string(r.origin) + " in an allowlisted package";
    v.push_back(std::move(e));
  }
  return v;
}

}  // namespace

std::span<const PolicyEntry> PicklePolicyEntries() {
  static const std::vector<PolicyEntry> entries = BuildEntries();
  return entries;
}

}  // namespace mats::pickle
