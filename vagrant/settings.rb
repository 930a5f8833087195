# frozen_string_literal: true

require "ipaddr"
require "yaml"
require_relative "versions"

# Loads and checks settings.yaml before Vagrant touches a VM, so a typo or an impossible value stops
# `vagrant up` at once with the key and the reason instead of failing half-way through provisioning.
module CiliumLab
  module Settings
    PROVIDERS = %w[virtualbox vmware_desktop parallels libvirt].freeze
    VIRTUALBOX_HOST_ONLY = IPAddr.new("192.168.56.0/21")
    VIRTUALBOX_NAT = IPAddr.new("10.0.2.0/24")
    MAX_WORKERS = 9
    MIN_MEMORY_MIB = { "control_plane" => 3072, "worker" => 1536 }.freeze
    MIN_CPUS = { "control_plane" => 2, "worker" => 1 }.freeze

    # The allowed keys, nested as in the file; a leaf names the expected kind of value.
    SCHEMA = {
      "nodes" => {
        "workers" => :integer,
        "control_plane" => { "cpus" => :integer, "memory_mib" => :integer },
        "worker" => { "cpus" => :integer, "memory_mib" => :integer },
      },
      "network" => {
        "control_plane_ip" => :string, "pod_cidr" => :string, "service_cidr" => :string,
        "forwarded_ports" => :list,
      },
      "proxy" => { "http" => :string, "https" => :string, "no_proxy" => :string },
      "providers" => :list,
    }.freeze

    Node = Struct.new(:name, :hostname, :role, :ip, :cpus, :memory_mib, keyword_init: true)

    # The checked settings plus the node list derived from them.
    Result = Struct.new(:raw, :nodes, :providers, :pod_cidr, :service_cidr, :control_plane_ip,
                        :forwarded_ports, :proxy, keyword_init: true) do
      def single_node?
        nodes.length == 1
      end
    end

    # Loads `path` and returns a Result; raises ConfigError naming the file, the key and the fix.
    # `host_cpu` is the host's CPU (RbConfig host_cpu), used for the libvirt (amd64 only) check.
    def self.load(path, host_cpu: RbConfig::CONFIG["host_cpu"])
      raise ConfigError, "#{path}: file not found; copy settings.yaml from the repository." unless File.file?(path)

      begin
        raw = YAML.safe_load(File.read(path), permitted_classes: [], aliases: false)
      rescue Psych::SyntaxError => e
        raise ConfigError, "#{path}: not valid YAML (line #{e.line}, column #{e.column}): #{e.problem}."
      end
      raise ConfigError, "#{path}: the file must be a mapping of keys such as nodes:, network:." unless raw.is_a?(Hash)

      Checker.new(path, raw, host_cpu).result
    end

    # One pass over the settings; every check raises with a full sentence.
    class Checker
      def initialize(path, raw, host_cpu)
        @path = path
        @raw = raw
        @host_cpu = host_cpu.to_s
      end

      def result
        check_shape(@raw, SCHEMA, [])
        providers = check_providers
        pod = cidr("network.pod_cidr")
        service = cidr("network.service_cidr")
        nodes = build_nodes
        check_addresses(nodes, pod, service, providers)
        Result.new(raw: @raw, nodes: nodes, providers: providers, pod_cidr: value("network.pod_cidr"),
                   service_cidr: value("network.service_cidr"), control_plane_ip: nodes.first.ip,
                   forwarded_ports: check_forwarded_ports, proxy: check_proxy(nodes))
      end

      private

      def fail!(key, message)
        raise ConfigError, "#{@path}: #{key}: #{message}"
      end

      # Unknown keys, missing keys and value kinds, recursively.
      def check_shape(data, schema, trail)
        data.each_key do |key|
          next if schema.key?(key)

          where = trail.empty? ? "at top level" : "under '#{trail.join('.')}'"
          fail!((trail + [key.to_s]).join("."),
                "unknown key; the keys allowed #{where} are #{schema.keys.join(', ')}.")
        end
        schema.each do |key, kind|
          name = (trail + [key]).join(".")
          fail!(name, "missing; every key of settings.yaml is required.") unless data.key?(key)
          check_kind(name, data[key], kind)
          check_shape(data[key], kind, trail + [key]) if kind.is_a?(Hash)
        end
      end

      def check_kind(name, value, kind)
        ok = case kind
             when Hash then value.is_a?(Hash)
             when :integer then value.is_a?(Integer)
             when :string then value.is_a?(String)
             when :list then value.is_a?(Array)
             end
        wanted = { integer: "a whole number", string: "a string (quote it)", list: "a list ([...])" }
        fail!(name, "must be #{kind.is_a?(Hash) ? 'a mapping' : wanted[kind]}, not #{value.inspect}.") unless ok
      end

      def value(dotted)
        dotted.split(".").reduce(@raw) { |data, key| data.fetch(key) }
      end

      def check_providers
        list = value("providers")
        fail!("providers", "must name at least one of #{PROVIDERS.join(', ')}.") if list.empty?
        list.each do |name|
          unless PROVIDERS.include?(name)
            fail!("providers", "#{name.inspect} is not supported; use #{PROVIDERS.join(', ')}.")
          end
        end
        fail!("providers", "lists a provider twice: #{list.inspect}.") if list.uniq.length != list.length
        arm = @host_cpu.match?(/\A(arm64|aarch64)/)
        usable = arm ? list - ["libvirt"] : list
        if usable.empty?
          fail!("providers", "libvirt has no bento/ubuntu-24.04 box for arm64 hosts; add virtualbox, " \
                             "vmware_desktop or parallels.")
        end
        usable
      end

      def cidr(key)
        text = value(key)
        unless text.match?(%r{\A\d{1,3}(\.\d{1,3}){3}/\d{1,2}\z})
          fail!(key, "#{text.inspect} is not an IPv4 CIDR such as 10.244.0.0/16.")
        end
        begin
          net = IPAddr.new(text)
        rescue IPAddr::Error
          fail!(key, "#{text.inspect} is not a valid IPv4 CIDR.")
        end
        base = text.split("/").first
        if net.to_s != base
          fail!(key, "#{text.inspect} has host bits set; the network address is #{net}/#{text.split('/').last}.")
        end
        net
      end

      def build_nodes
        workers = value("nodes.workers")
        unless workers.between?(0, MAX_WORKERS)
          fail!("nodes.workers", "#{workers} is outside 0..#{MAX_WORKERS} (0 means a single node).")
        end
        cp_ip = parse_ip("network.control_plane_ip")
        last_octet = cp_ip.to_s.split(".").last.to_i
        if last_octet.zero? || last_octet + workers > 254
          fail!("network.control_plane_ip", "#{cp_ip} leaves no room for #{workers} worker address(es) " \
                                            "after it in the same /24; use e.g. 192.168.56.10.")
        end
        nodes = [node("control_plane", "control-plane", "ciliumlab-cp", cp_ip)]
        (1..workers).each do |i|
          nodes << node("worker", "worker-#{i}", "ciliumlab-worker-#{i}", IPAddr.new(cp_ip.to_i + i, Socket::AF_INET))
        end
        nodes
      end

      def node(role_key, name, hostname, ip)
        cpus = value("nodes.#{role_key}.cpus")
        memory = value("nodes.#{role_key}.memory_mib")
        if cpus < MIN_CPUS[role_key]
          fail!("nodes.#{role_key}.cpus", "#{cpus} is too few; at least #{MIN_CPUS[role_key]} are needed.")
        end
        if memory < MIN_MEMORY_MIB[role_key]
          fail!("nodes.#{role_key}.memory_mib", "#{memory} MiB is too little memory; at least " \
                                                 "#{MIN_MEMORY_MIB[role_key]} MiB is needed for Kubernetes and Cilium.")
        end
        Node.new(name: name, hostname: hostname, role: role_key == "worker" ? "worker" : "control-plane",
                 ip: ip.to_s, cpus: cpus, memory_mib: memory)
      end

      def parse_ip(key)
        text = value(key)
        parts = text.split(".")
        unless parts.length == 4 && parts.all? { |p| p.match?(/\A\d{1,3}\z/) && p.to_i <= 255 }
          fail!(key, "#{text.inspect} is not an IPv4 address such as 192.168.56.10.")
        end
        IPAddr.new(text)
      end

      def check_addresses(nodes, pod, service, providers)
        if pod.include?(service) || service.include?(pod)
          fail!("network.service_cidr", "#{value('network.service_cidr')} overlaps network.pod_cidr " \
                                        "#{value('network.pod_cidr')}; pick ranges that do not overlap.")
        end
        node_net = IPAddr.new("#{nodes.first.ip}/24")
        { "network.pod_cidr" => pod, "network.service_cidr" => service }.each do |key, net|
          if net.include?(node_net) || node_net.include?(net)
            fail!(key, "#{value(key)} overlaps the node network #{node_net}/24; pick a range that does not.")
          end
          next unless providers.include?("virtualbox")
          if net.include?(VIRTUALBOX_NAT) || VIRTUALBOX_NAT.include?(net)
            fail!(key, "#{value(key)} overlaps 10.0.2.0/24, the NAT network of every VirtualBox VM; " \
                       "use e.g. 10.244.0.0/16.")
          end
        end
        return unless providers.include?("virtualbox")

        nodes.each do |n|
          next if VIRTUALBOX_HOST_ONLY.include?(IPAddr.new(n.ip))

          fail!("network.control_plane_ip", "#{n.name} would get #{n.ip}, outside 192.168.56.0/21, the only " \
                                            "host-only range VirtualBox allows on Linux and macOS hosts; use " \
                                            "192.168.56.10 or remove virtualbox from providers.")
        end
      end

      def check_forwarded_ports
        seen = {}
        value("network.forwarded_ports").each_with_index.map do |entry, i|
          key = "network.forwarded_ports[#{i}]"
          unless entry.is_a?(Hash) && entry.keys.sort == %w[guest host]
            fail!(key, "must be a mapping with exactly the keys guest and host, not #{entry.inspect}.")
          end
          entry.each do |side, port|
            unless port.is_a?(Integer) && port.between?(1, 65_535)
              fail!("#{key}.#{side}", "#{port.inspect} is not a port number (1-65535).")
            end
          end
          fail!("#{key}.host", "port #{entry['host']} is forwarded twice.") if seen[entry["host"]]
          seen[entry["host"]] = true
          { guest: entry["guest"], host: entry["host"] }
        end
      end

      def check_proxy(nodes)
        proxy = value("proxy")
        %w[http https].each do |key|
          url = proxy[key]
          next if url.empty? || url.match?(%r{\Ahttps?://[^\s/]+(:\d+)?/?\z})

          fail!("proxy.#{key}", "#{url.inspect} is not a proxy URL such as http://proxy.example.com:3128.")
        end
        if proxy["no_proxy"].match?(/\s/)
          fail!("proxy.no_proxy", "#{proxy['no_proxy'].inspect} must be comma-separated without spaces.")
        end
        automatic = ["localhost", "127.0.0.1", ".svc", ".cluster.local", value("network.pod_cidr"),
                     value("network.service_cidr")] + nodes.map(&:ip) + nodes.map(&:hostname)
        extra = proxy["no_proxy"].split(",").reject(&:empty?)
        { http: proxy["http"], https: proxy["https"], no_proxy: (extra + automatic).uniq.join(",") }
      end
    end
  end
end
