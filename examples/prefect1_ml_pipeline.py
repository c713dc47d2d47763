from orchestrator import task, Flow

@task
def extract_data():
    print("Extracting data...")

@task
def preprocess_data():
    print("Preprocessing data...")

@task
def train_model():
    print("Training ML model...")

@task
def evaluate_model():
    print("Evaluating ML model...")

with Flow("ml_pipeline_prefect") as flow:
    data = extract_data()
    processed = preprocess_data(upstream_tasks=[data])
    model = train_model(upstream_tasks=[processed])
    evaluate_model(upstream_tasks=[model])

# Run flow locally
flow.run()
