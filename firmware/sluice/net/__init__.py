# Network: MQTT client, link, topics, commands and the node that runs them.
