# The application's own sitecustomize, which must still run under omegi-run.
import builtins

builtins.APP_SITECUSTOMIZE_RAN = True
