# frozen_string_literal: true

# gureum's Ruby runtime interface client: speaks the Lambda Runtime API (2018-06-01) the
# way AWS's Ruby runtimes (aws_lambda_ric) do.
#
# - Handler "file.method" or "file.Module::Class.method" (split on "."; anything else is an
#   Init<ArgumentError>): the file is required from LAMBDA_TASK_ROOT, the method called with
#   event: and context: keyword arguments; the result is sent as `result.to_json` (an IO or
#   StringIO is sent as it is).
# - Errors: {errorMessage, errorType: "Function<Class>" / "Init<Class>", stackTrace} with the
#   Lambda-Runtime-Function-Error-Type header AWS sends (the class for Ruby's standard ones,
#   "Function<UserException>" for the others). The process keeps serving after any error
#   (AWS's client may end it after a NoMethodError; a warm environment that ends between two
#   invokes would fail the next one here as Runtime.ExitError).
# - Logging: a Logger on $stdout/$stderr writes AWS's Ruby lines
#   ("I, [time #pid]  INFO <request id> -- : msg"), or with AWS_LAMBDA_LOG_FORMAT=JSON one
#   JSON object per line {timestamp, level, message, requestId}, filtered by
#   AWS_LAMBDA_LOG_LEVEL.
require 'json'
require 'socket'
require 'logger'
require 'stringio'
require 'time'

$stdout.sync = true
$stderr.sync = true

# A spare sandbox (gureum/services/lambda_/spares.py): started before any function needs it,
# this process waits for the function's environment (variables and working directory) as one
# JSON document on stdin, then starts as a fresh one would.
if ENV['_GUREUM_SPARE']
  handover = JSON.parse($stdin.read.then { |s| s.empty? ? 'null' : s })
  exit 0 unless handover.is_a?(Hash)
  $stdin.reopen(File::NULL)
  ENV.replace(handover['env'])
  Dir.chdir(handover['cwd'])
end

module GureumLambda
  BASE = '/2018-06-01/runtime'
  RUNTIME_DIR = File.expand_path(__dir__)
  STANDARD_ERRORS = %w[ArgumentError NoMethodError Exception StandardError NameError LoadError
                       SystemExit SystemStackError].freeze
  JSON_LOGS = ENV['AWS_LAMBDA_LOG_FORMAT'].to_s.upcase == 'JSON'
  LOG_LEVELS = { 'TRACE' => Logger::DEBUG, 'DEBUG' => Logger::DEBUG, 'INFO' => Logger::INFO,
                 'WARN' => Logger::WARN, 'ERROR' => Logger::ERROR, 'FATAL' => Logger::FATAL }.freeze

  class << self
    attr_accessor :request_id
  end

  # One keep-alive HTTP/1.1 connection to the Runtime API.
  class Api
    def initialize(address)
      @host, _, port = address.rpartition(':')
      @port = Integer(port)
      @sock = nil
    end

    def request(method, path, body = nil, headers = {})
      attempts = 0
      begin
        exchange(method, path, body, headers)
      rescue IOError, SystemCallError
        close
        attempts += 1
        retry if attempts < 2
        raise
      end
    end

    def close
      @sock&.close
    rescue IOError
      nil
    ensure
      @sock = nil
    end

    private

    def exchange(method, path, body, headers)
      unless @sock
        @sock = TCPSocket.new(@host, @port)
        @sock.setsockopt(Socket::IPPROTO_TCP, Socket::TCP_NODELAY, 1)
      end
      head = +"#{method} #{path} HTTP/1.1\r\nHost: #{@host}\r\n"
      headers.each { |k, v| head << "#{k}: #{v}\r\n" }
      head << "Content-Length: #{body.bytesize}\r\n" if body
      head << "\r\n"
      data = body ? head.b + body.b : head.b
      @sock.write(data)
      status = @sock.gets("\r\n") or raise IOError, 'connection closed'
      code = status.split(' ', 3)[1].to_i
      resp_headers = {}
      while (line = @sock.gets("\r\n"))
        line = line.chomp("\r\n")
        break if line.empty?

        name, value = line.split(':', 2)
        resp_headers[name.strip.downcase] = value.to_s.strip
      end
      length = resp_headers.fetch('content-length', '0').to_i
      payload = length.positive? ? @sock.read(length) : +''
      close if resp_headers['connection'].to_s.downcase == 'close'
      [code, resp_headers, payload.force_encoding('UTF-8')]
    end
  end

  # The context object AWS's Ruby runtime passes as `context:`.
  class LambdaContext
    attr_reader :aws_request_id, :invoked_function_arn, :log_group_name, :log_stream_name,
                :function_name, :memory_limit_in_mb, :function_version, :identity,
                :tenant_id, :client_context, :deadline_ms

    def initialize(headers)
      @aws_request_id = headers['lambda-runtime-aws-request-id']
      @invoked_function_arn = headers['lambda-runtime-invoked-function-arn']
      @deadline_ms = headers['lambda-runtime-deadline-ms'].to_i
      @log_group_name = ENV['AWS_LAMBDA_LOG_GROUP_NAME']
      @log_stream_name = ENV['AWS_LAMBDA_LOG_STREAM_NAME']
      @function_name = ENV['AWS_LAMBDA_FUNCTION_NAME']
      @memory_limit_in_mb = ENV['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']
      @function_version = ENV['AWS_LAMBDA_FUNCTION_VERSION']
      @tenant_id = headers['lambda-runtime-aws-tenant-id']
      @identity = parse(headers['lambda-runtime-cognito-identity'])
      @client_context = parse(headers['lambda-runtime-client-context'])
    end

    def get_remaining_time_in_millis
      [@deadline_ms - Process.clock_gettime(Process::CLOCK_REALTIME, :millisecond), 0].max
    end

    private

    def parse(text)
      text.nil? || text.empty? ? nil : JSON.parse(text)
    end
  end

  # AWS's text line for a Logger: severity letter, time and pid, severity, request id.
  class TextFormatter < Logger::Formatter
    def call(severity, time, progname, msg)
      stamp = time.strftime('%Y-%m-%dT%H:%M:%S.%6N')
      "#{severity[0]}, [#{stamp} ##{Process.pid}] #{severity.rjust(5)} #{GureumLambda.request_id} -- " \
        "#{progname}: #{msg2str(msg)}\n"
    end
  end

  # AWS_LAMBDA_LOG_FORMAT=JSON: one JSON object a line.
  class JsonFormatter < Logger::Formatter
    def call(severity, time, progname, msg)
      entry = { 'timestamp' => time.utc.iso8601(3), 'level' => severity, 'message' => msg2str(msg) }
      entry['logger'] = progname if progname
      entry['requestId'] = GureumLambda.request_id if GureumLambda.request_id
      "#{JSON.generate(entry)}\n"
    end
  end

  # Loggers the function makes on $stdout/$stderr get AWS's format (and level, in JSON mode).
  module LoggerDefaults
    def initialize(logdev, *args, **kwargs)
      super
      return unless logdev.equal?($stdout) || logdev.equal?($stderr) || logdev == STDOUT || logdev == STDERR

      self.formatter = JSON_LOGS ? JsonFormatter.new : TextFormatter.new unless kwargs[:formatter]
      level = LOG_LEVELS[ENV['AWS_LAMBDA_LOG_LEVEL'].to_s.upcase]
      self.level = level if JSON_LOGS && level && !kwargs.key?(:level)
    end
  end
  Logger.prepend(LoggerDefaults)

  # An error as AWS's Ruby runtime reports it.
  class Failure
    attr_reader :payload, :header_type

    def initialize(err, prefix)
      name = err.class.to_s
      trace = (err.backtrace_locations || []).first(100).map(&:to_s)
      trace = (err.backtrace || []).first(100) if trace.empty?
      trace = trace.take_while { |line| !line.start_with?(RUNTIME_DIR) }
      @payload = { 'errorMessage' => err.message, 'errorType' => "#{prefix}<#{name}>", 'stackTrace' => trace }
      @header_type = STANDARD_ERRORS.include?(name) ? @payload['errorType'] : "#{prefix}<UserException>"
    end

    def log(message)
      if JSON_LOGS
        entry = { 'timestamp' => Time.now.utc.iso8601(3), 'level' => 'ERROR', 'message' => message }
        entry['requestId'] = GureumLambda.request_id if GureumLambda.request_id
        $stdout.puts JSON.generate(entry.merge(@payload))
      else
        $stdout.puts message
        $stdout.puts JSON.pretty_generate(@payload)
      end
    end

    def post(api, path)
      api.request('POST', path, JSON.generate(@payload),
                  'Content-Type' => 'application/json', 'Lambda-Runtime-Function-Error-Type' => @header_type)
    end
  end

  # A handler "file.method" or "file.Module::Class.method".
  class Handler
    def initialize(spec, task_root)
      parts = spec.to_s.split('.')
      unless [2, 3].include?(parts.size)
        raise ArgumentError, "Invalid handler #{parts}, must be of form FILENAME.METHOD or FILENAME.CLASS.METHOD " \
                             'where FILENAME corresponds with an existing Ruby source file FILENAME.rb, CLASS is an ' \
                             'optional module/class namespace and METHOD is a callable method. If using CLASS, ' \
                             'METHOD must be a class-level method.'
      end
      @file = parts.first
      @method = parts.last
      @receiver = parts.size == 3 ? parts[1] : nil
      require File.join(task_root, @file)
      @target = @receiver ? Kernel.const_get(@receiver) : TOPLEVEL_BINDING.receiver
    end

    def call(event, context)
      if @receiver
        @target.public_send(@method, event: event, context: context)
      else
        @target.send(@method, event: event, context: context)
      end
    end
  end

  def self.body_of(result)
    case result
    when StringIO then [result.string, 'application/unknown']
    when IO then [result.read, 'application/unknown']
    else [result.to_json, 'application/json']
    end
  end

  def self.event_of(body, content_type)
    return body unless content_type.to_s.start_with?('application/json')
    return nil if body.empty?

    JSON.parse(body, quirks_mode: true)
  end

  def self.run
    api = Api.new(ENV.fetch('AWS_LAMBDA_RUNTIME_API'))
    task_root = ENV['LAMBDA_TASK_ROOT'] || '/var/task'
    $LOAD_PATH.unshift(task_root) unless $LOAD_PATH.include?(task_root)
    begin
      handler = Handler.new(ENV['_HANDLER'], task_root)
    rescue Exception => e # rubocop:disable Lint/RescueException -- init errors of every kind
      failure = Failure.new(e, 'Init')
      failure.log("Init error when loading handler #{ENV['_HANDLER']}")
      failure.post(api, "#{BASE}/init/error")
      exit!(1)
    end
    loop do
      _, headers, body = api.request('GET', "#{BASE}/invocation/next")
      request_id = headers['lambda-runtime-aws-request-id']
      GureumLambda.request_id = request_id
      ENV['_X_AMZN_TRACE_ID'] = headers['lambda-runtime-trace-id'] if headers['lambda-runtime-trace-id']
      begin
        context = LambdaContext.new(headers)
        event = event_of(body, headers['content-type'])
        payload, content_type = body_of(handler.call(event, context))
        api.request('POST', "#{BASE}/invocation/#{request_id}/response", payload, 'Content-Type' => content_type)
      rescue Exception => e # rubocop:disable Lint/RescueException -- AWS reports every kind
        raise if e.is_a?(SignalException) # SIGTERM at shutdown ends the process

        failure = Failure.new(e, 'Function')
        failure.log('Error raised from handler method')
        failure.post(api, "#{BASE}/invocation/#{request_id}/error")
      end
    end
  end
end

GureumLambda.run
