# frozen_string_literal: true

# Reads versions.lock for the Vagrantfile. The same file is read by scripts/provision/lib.sh; both
# parse KEY=VALUE lines and never evaluate them, so the lock file cannot run code.
module CiliumLab
  # Raised for any problem in settings.yaml or versions.lock; the message names the file and key.
  class ConfigError < StandardError; end

  module Versions
    LINE = /\A([A-Z][A-Z0-9_]*)=(\S*)\z/.freeze
    REQUIRED = %w[BOX_NAME BOX_VERSION KUBERNETES_VERSION CONTAINERD_VERSION RUNC_VERSION
                  CILIUM_VERSION CILIUM_CLI_VERSION HUBBLE_VERSION].freeze

    # Returns a Hash of every key in the lock file. Raises ConfigError naming the line on bad input.
    def self.load(path)
      raise ConfigError, "#{path}: file not found; it must sit next to the Vagrantfile." unless File.file?(path)

      values = {}
      File.readlines(path, chomp: true).each_with_index do |raw, index|
        line = raw.strip
        next if line.empty? || line.start_with?("#")

        match = LINE.match(line)
        unless match
          raise ConfigError, "#{path}:#{index + 1}: #{raw.inspect} is not a KEY=VALUE line " \
                             "(upper-case key, no spaces, no quotes)."
        end
        if values.key?(match[1])
          raise ConfigError, "#{path}:#{index + 1}: key #{match[1]} is set twice; keep one line."
        end

        values[match[1]] = match[2]
      end
      missing = REQUIRED.reject { |key| values.fetch(key, "") != "" }
      raise ConfigError, "#{path}: required keys missing or empty: #{missing.join(', ')}." unless missing.empty?

      values.freeze
    end
  end
end
