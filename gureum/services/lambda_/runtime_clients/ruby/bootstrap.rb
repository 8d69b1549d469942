# frozen_string_literal: true

# gureum's Ruby runtime interface client: speaks the Lambda Runtime API (2018-06-01) the
# way AWS's ruby runtimes do. Handler "file.method" (or "file.Module::Class.method") is
# loaded from LAMBDA_TASK_ROOT and called with event: and context: keyword arguments;
# errors are reported as {errorMessage, errorType: "Function<Class>"/"Init<Class>", stackTrace}.
require 'json'
require 'socket'
require 'logger'

$stdout.sync = true
$stderr.sync = true

module GureumLambda
  BASE = '/2018-06-01/runtime'

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
                :client_context, :deadline_ms, :logger

    def initialize(headers, logger)
      @aws_request_id = headers['lambda-runtime-aws-request-id']
      @invoked_function_arn = headers['lambda-runtime-invoked-function-arn']
      @deadline_ms = headers['lambda-runtime-deadline-ms'].to_i
      @log_group_name = ENV['AWS_LAMBDA_LOG_GROUP_NAME']
      @log_stream_name = ENV['AWS_LAMBDA_LOG_STREAM_NAME']
      @function_name = ENV['AWS_LAMBDA_FUNCTION_NAME']
      @memory_limit_in_mb = ENV['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']
      @function_version = ENV['AWS_LAMBDA_FUNCTION_VERSION']
      @identity = parse(headers['lambda-runtime-cognito-identity'])
      @client_context = parse(headers['lambda-runtime-client-context'])
      @logger = logger
    end

    def get_remaining_time_in_millis
      [@deadline_ms - (Time.now.to_f * 1000).to_i, 0].max
    end

    private

    def parse(text)
      text.nil? || text.empty? ? nil : JSON.parse(text)
    rescue JSON::ParserError
      nil
    end
  end

  def self.error_payload(err, prefix)
    {
      'errorMessage' => err.message,
      'errorType' => "#{prefix}<#{err.class}>",
      'stackTrace' => err.backtrace || []
    }
  end

  def self.load_handler(spec, task_root)
    file, dot, method_path = spec.to_s.partition('.')
    raise ArgumentError, "Bad handler: #{spec.inspect}" if dot.empty? || method_path.empty?

    require File.join(task_root, file)
    receiver_name, sep, method_name = method_path.rpartition('.')
    if sep.empty?
      [nil, method_path]
    else
      [Object.const_get(receiver_name), method_name]
    end
  end

  def self.run
    api = Api.new(ENV.fetch('AWS_LAMBDA_RUNTIME_API'))
    task_root = ENV['LAMBDA_TASK_ROOT'] || '/var/task'
    $LOAD_PATH.unshift(task_root) unless $LOAD_PATH.include?(task_root)
    logger = Logger.new($stdout)
    begin
      receiver, method_name = load_handler(ENV['_HANDLER'], task_root)
    rescue Exception => e # rubocop:disable Lint/RescueException -- init errors of every kind
      payload = error_payload(e, 'Init')
      puts "Init error when loading handler #{ENV['_HANDLER']}"
      puts JSON.generate(payload)
      api.request('POST', "#{BASE}/init/error", JSON.generate(payload),
                  'Content-Type' => 'application/json', 'Lambda-Runtime-Function-Error-Type' => payload['errorType'])
      exit!(1)
    end
    loop do
      _, headers, body = api.request('GET', "#{BASE}/invocation/next")
      request_id = headers['lambda-runtime-aws-request-id']
      ENV['_X_AMZN_TRACE_ID'] = headers['lambda-runtime-trace-id'] if headers['lambda-runtime-trace-id']
      context = LambdaContext.new(headers, logger)
      begin
        event = body.empty? ? nil : JSON.parse(body, quirks_mode: true)
        result = if receiver
                   receiver.public_send(method_name, event: event, context: context)
                 else
                   TOPLEVEL_BINDING.receiver.send(method_name, event: event, context: context)
                 end
        api.request('POST', "#{BASE}/invocation/#{request_id}/response", JSON.generate(result),
                    'Content-Type' => 'application/json')
      rescue StandardError, ScriptError, NoMemoryError, SystemStackError => e
        payload = error_payload(e, 'Function')
        puts "Error raised from handler method"
        puts JSON.generate(payload)
        api.request('POST', "#{BASE}/invocation/#{request_id}/error", JSON.generate(payload),
                    'Content-Type' => 'application/json', 'Lambda-Runtime-Function-Error-Type' => payload['errorType'])
      end
    end
  end
end

GureumLambda.run
