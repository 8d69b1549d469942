"""CloudWatch Logs Insights' query language, sans-IO: lexer.py turns a query string into
tokens, parser.py into a list of commands over expression trees (ast.py), evaluator.py runs
them over log records. `compile_query` and `run_query` are the entry points; a malformed
query raises `QueryError` with the character offsets AWS reports in its queryCompileError."""
