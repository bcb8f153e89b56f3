// Topics.java -- creates the topics of the contract on a real Kafka and waits until every
// partition has a leader (deploy/kafka.sh up). Run as a single-file program:
//   java -cp 'LIBS/*' Topics.java BOOTSTRAP PARTITIONS REPLICAS TIMEOUT_MS
// Exit 0 when every topic exists (created now or before) with a leader for each partition.
import java.util.*;
import java.util.concurrent.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;

public class Topics {
    // contract sections 2, 4, 5, 8, 9: name -> compacted
    static final String[][] TOPICS = {
        {"call-events", "no"}, {"call-events-dlq", "no"}, {"agent-alerts", "no"},
        {"agent-rewards", "no"}, {"leaderboard-updates", "yes"}, {"queue-updates", "yes"},
        {"agent-states", "yes"}, {"alert-acks", "no"}, {"agent-goals", "no"},
        {"coaching-tasks", "no"},
    };

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        int partitions = Integer.parseInt(args[1]);
        short replicas = Short.parseShort(args[2]);
        long deadline = System.currentTimeMillis() + Long.parseLong(args[3]);
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        try (Admin admin = Admin.create(p)) {
            List<NewTopic> topics = new ArrayList<>();
            for (String[] t : TOPICS) {
                NewTopic nt = new NewTopic(t[0], partitions, replicas);
                Map<String, String> cfg = new HashMap<>();
                if (t[1].equals("yes"))
                    cfg.put("cleanup.policy", "compact");
                if (replicas > 1)
                    cfg.put("min.insync.replicas", "2");
                topics.add(nt.configs(cfg));
            }
            // brokers register one by one: creating and describing are retried until
            // every partition has a leader or the deadline passes
            Set<String> created = new HashSet<>();
            String why = "";
            while (true) {
                for (NewTopic t : topics) {
                    if (created.contains(t.name()))
                        continue;
                    try {
                        admin.createTopics(List.of(t)).all().get(10, TimeUnit.SECONDS);
                        created.add(t.name());
                    } catch (ExecutionException ex) {
                        if (ex.getCause() instanceof TopicExistsException)
                            created.add(t.name());
                        else
                            why = ex.getCause().toString();
                    } catch (TimeoutException ex) {
                        why = "creating " + t.name() + " timed out";
                    }
                }
                int leaderless = 0;
                if (created.size() == topics.size()) {
                    try {
                        for (TopicDescription d : admin.describeTopics(created)
                                                      .allTopicNames()
                                                      .get(10, TimeUnit.SECONDS)
                                                      .values())
                            for (var part : d.partitions())
                                if (part.leader() == null || part.leader().isEmpty())
                                    leaderless++;
                        why = leaderless + " partitions without a leader";
                    } catch (ExecutionException ex) {
                        leaderless = -1;
                        why = ex.getCause().toString();
                    } catch (TimeoutException ex) {
                        leaderless = -1;
                        why = "describing the topics timed out";
                    }
                    if (leaderless == 0)
                        return;
                }
                if (System.currentTimeMillis() > deadline) {
                    System.err.println("kafka.sh: topics not ready: " + why);
                    System.exit(1);
                }
                Thread.sleep(250);
            }
        }
    }
}
