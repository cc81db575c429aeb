"""SequenceTable: long tables (pandas with id and time columns, an (id, time) MultiIndex,
polars, Parquet) read as sequences by every estimator and by scikit-learn's tools."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split

from sk_rnn import RNNClassifier, RNNRegressor, RNNTagger, SequenceTable

TINY = dict(hidden_size=4, max_epochs=2, random_state=0)


def long_table(n=30, seed=0):
    """Sequences as a list, and the same as a shuffled long table (one row per step)."""
    rng = np.random.default_rng(seed)
    X = [rng.normal(size=(int(k), 2)).astype(np.float32) for k in rng.integers(3, 9, n)]
    y = np.array(["up" if x[0, 0] > 0 else "down" for x in X])
    rows = [(f"s{i}", t, *x[t], y[i]) for i, x in enumerate(X) for t in range(len(x))]
    frame = pd.DataFrame(rows, columns=["id", "t", "a", "b", "label"])
    return X, y, frame.sample(frac=1, random_state=seed).reset_index(drop=True)


def layouts(frame, tmp_path):
    pl = pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    frame.to_parquet(tmp_path / "steps.parquet")
    columns = dict(id_column="id", time_column="t", target_column="label")
    return {
        "pandas": SequenceTable(frame, **columns),
        "MultiIndex": SequenceTable(frame.set_index(["id", "t"]), target_column="label"),
        "polars": SequenceTable(pl.from_pandas(frame), **columns),
        "Parquet": SequenceTable.from_parquet(tmp_path / "steps.parquet", **columns),
    }


@pytest.mark.parametrize("layout", ["pandas", "MultiIndex", "polars", "Parquet"])
def test_every_layout_fits_as_the_list_of_arrays_does(tmp_path, layout):
    X, y, frame = long_table()
    table = layouts(frame, tmp_path)[layout]
    order = [int(i[1:]) for i in table.ids]
    assert len(table) == 30 and table.lengths.tolist() == [len(X[i]) for i in order]
    listed = RNNClassifier(**TINY).fit([X[i] for i in order], y[order])
    tabled = RNNClassifier(**TINY).fit(table, table.y)
    np.testing.assert_array_equal(table.y, y[order])
    np.testing.assert_array_equal(tabled.predict(table), listed.predict([X[i] for i in order]))
    np.testing.assert_allclose(
        tabled.predict_proba(table), listed.predict_proba([X[i] for i in order]), atol=1e-6
    )


def test_rows_out_of_time_order_are_sorted(tmp_path):
    X, _, frame = long_table()
    table = SequenceTable(frame, id_column="id", time_column="t", feature_columns=["a", "b"])
    for i, sequence in zip(table.ids, table, strict=True):
        np.testing.assert_array_equal(sequence, X[int(i[1:])])


def test_splitters_and_searches_split_by_sequence(tmp_path):
    _, _, frame = long_table(40)
    tables = layouts(frame, tmp_path)
    table = tables["Parquet"]
    train, test, y_train, y_test = train_test_split(table, table.y, random_state=0)
    assert isinstance(train, SequenceTable) and (len(train), len(test)) == (30, 10)
    assert set(train.ids).isdisjoint(test.ids)
    listed = list(table)
    model = RNNClassifier(hidden_size=4, max_epochs=1, random_state=0)
    np.testing.assert_array_equal(
        cross_val_score(model, table, table.y, cv=3), cross_val_score(model, listed, table.y, cv=3)
    )
    search = GridSearchCV(model, {"cell": ["gru", "lstm"]}, cv=2, n_jobs=2)
    on_list = search.fit(listed, table.y).cv_results_["mean_test_score"]
    on_table = search.fit(table, table.y).cv_results_["mean_test_score"]
    np.testing.assert_array_equal(on_table, on_list)


def test_a_parquet_table_pickles_as_its_path_and_selection(tmp_path):
    pytest.importorskip("pyarrow")
    sizes = []
    for n in (100, 1000):
        _, _, frame = long_table(n)
        frame.to_parquet(tmp_path / f"{n}.parquet")
        table = SequenceTable.from_parquet(
            tmp_path / f"{n}.parquet", id_column="id", time_column="t", target_column="label"
        )
        sizes.append(len(pickle.dumps(table[: n // 2])))
        copy = pickle.loads(pickle.dumps(table[: n // 2]))
        np.testing.assert_array_equal(copy[3], table[3])
    assert sizes[1] < 100_000
    assert sizes[1] < 2 * sizes[0] + 5_000  # the selection grows, not the data


def test_targets_per_step_and_tokens_per_row_fit_the_tagger():
    sentences = [["Anna", "met", "Bob"], ["the", "cat", "sat", "down"]] * 6
    tags = [["B", "O", "B"], ["O", "O", "O", "O"]] * 6
    rows = [
        (i, t, word, tag)
        for i, (words, labels) in enumerate(zip(sentences, tags, strict=True))
        for t, (word, tag) in enumerate(zip(words, labels, strict=True))
    ]
    frame = pd.DataFrame(rows, columns=["sentence", "token", "word", "tag"])
    table = SequenceTable(frame, id_column="sentence", time_column="token", target_column="tag")
    assert table[0] == ["Anna", "met", "Bob"]
    assert [list(t) for t in table.y] == tags
    listed = RNNTagger(**TINY).fit(sentences, tags)
    tabled = RNNTagger(**TINY).fit(table, table.y)
    assert [p.tolist() for p in tabled.predict(table)] == [
        p.tolist() for p in listed.predict(sentences)
    ]


def test_targets_aligned_by_id():
    X, y, frame = long_table()
    table = SequenceTable(frame.drop(columns="label"), id_column="id", time_column="t")
    by_id = pd.Series(y, index=[f"s{i}" for i in range(len(X))])
    model = RNNRegressor(**TINY).fit(table, table.align(by_id) == "up")
    assert len(model.predict(table)) == 30
    with pytest.raises(
        ValueError, match=r"targets lack 1 of the table's ids, for example \['s3'\]"
    ):
        table.align(by_id.drop("s3"))


# -- bad input: clear errors, before any training ---------------------------------------------


@pytest.mark.parametrize(
    ("columns", "match"),
    [
        (dict(id_column="patient"), "id_column='patient' is not a column"),
        (dict(id_column="id", time_column="hour"), "time_column='hour' is not a column"),
        (dict(id_column="id", target_column="y"), "target_column='y' is not a column"),
        (dict(id_column="id", feature_columns=["a", "zz"]), r"feature_columns \['zz'\]"),
    ],
)
def test_missing_columns_are_named(columns, match):
    _, _, frame = long_table()
    with pytest.raises(ValueError, match=match):
        SequenceTable(frame, **columns)


def test_duplicate_id_and_time_pairs_are_refused():
    _, _, frame = long_table()
    doubled = pd.concat([frame, frame.iloc[:2]])
    with pytest.raises(ValueError, match=r"2 duplicate \(id, time\) pairs, for example"):
        SequenceTable(doubled, id_column="id", time_column="t")


def test_strings_beside_numbers_are_refused():
    _, _, frame = long_table()
    table = SequenceTable(frame, id_column="id", time_column="t")  # label is a feature now
    with pytest.raises(ValueError, match=r"columns \['a', 'b', 'label'\] mix strings"):
        table[0]


def test_a_column_mixing_types_is_refused_naming_it():
    _, _, frame = long_table()
    frame["a"] = frame["a"].astype(object)
    frame.loc[3, "a"] = "x"
    table = SequenceTable(frame, id_column="id", time_column="t", target_column="label")
    with pytest.raises(ValueError, match="Column 'a' mixes types"):
        RNNClassifier(**TINY).fit(table, table.y)


def test_a_file_that_disappears_or_changes_schema_is_refused(tmp_path):
    pytest.importorskip("pyarrow")
    _, _, frame = long_table()
    path = tmp_path / "steps.parquet"
    frame.to_parquet(path)
    table = SequenceTable.from_parquet(path, id_column="id", time_column="t", target_column="label")
    model = RNNClassifier(**TINY).fit(table, table.y)
    frame.rename(columns={"b": "c"}).to_parquet(path)
    with pytest.raises(ValueError, match="changed schema since the table was made"):
        model.predict(table)
    path.unlink()
    with pytest.raises(ValueError, match="no longer exists"):
        model.predict(table)
    assert list(tmp_path.iterdir()) == []  # nothing written


def grouped_parquet(tmp_path, n=200, seed=0, name="grouped.parquet", nan=False):
    """A Parquet file holding each id's rows together in time order (as ``ORDER BY id,
    time`` writes it), in row groups of 64 rows; the sequences as a list, and labels
    that need the whole sequence (the sign of the first feature's sum)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    X = [rng.normal(size=(int(k), 2)).astype(np.float32) for k in rng.integers(5, 30, n)]
    if nan:
        for x in X[::4]:
            x[1, 1] = np.nan
    y = np.array(["up" if x[:, 0].sum() > 0 else "down" for x in X])
    rows = [(i, t, *x[t], y[i]) for i, x in enumerate(X) for t in range(len(x))]
    frame = pd.DataFrame(rows, columns=["id", "t", "a", "b", "label"])
    pq.write_table(pa.Table.from_pandas(frame), tmp_path / name, row_group_size=64)
    return tmp_path / name, X, y


def streamed_table(path, streamed=True):
    return SequenceTable.from_parquet(
        path, id_column="id", time_column="t", target_column="label", streamed=streamed
    )


def test_a_grouped_parquet_file_is_indexed_without_a_row_order(tmp_path):
    path, X, y = grouped_parquet(tmp_path)
    table = streamed_table(path)
    assert table.streamed and table._order is None  # row ranges, one per sequence
    assert table.lengths.tolist() == [len(x) for x in X]
    np.testing.assert_array_equal(table[7], X[7])
    np.testing.assert_array_equal(table.y, y)
    blocks = table.blocks(max_rows=100)
    assert np.array_equal(np.concatenate(blocks), np.arange(len(X)))
    assert all(table.lengths[b].sum() <= 100 or len(b) == 1 for b in blocks)
    auto = SequenceTable.from_parquet(path, id_column="id", time_column="t")
    assert not auto.streamed  # small: read into memory


def test_a_streamed_fit_reads_blocks_and_learns(tmp_path, monkeypatch):
    """Training reads the table a pool of blocks at a time, never the whole of it, and
    learns what the in-memory fit learns from the same data."""
    import sk_rnn._table_sources as sources
    import sk_rnn._tables as tables

    path, X, y = grouped_parquet(tmp_path, n=400)
    monkeypatch.setattr(tables, "BLOCK_ROWS", 200)
    largest = []
    rows = sources.Parquet.rows

    def counted(self, wanted, columns, raw=False):
        largest.append(len(wanted))
        return rows(self, wanted, columns, raw)

    monkeypatch.setattr(sources.Parquet, "rows", counted)
    table = streamed_table(path)
    settings = dict(hidden_size=16, max_epochs=15, random_state=0, early_stopping=False)
    model = RNNClassifier(**settings).fit(table, table.y)
    total = int(table.lengths.sum())
    assert 0 < max(largest) <= 4 * 200 + 30 < total  # a pool of 4 blocks at most
    assert model.score(X, y) > 0.9  # learned from the blocks
    listed = RNNClassifier(**settings).fit(X, y)
    np.testing.assert_allclose(model.input_mean_, listed.input_mean_, rtol=1e-5)
    np.testing.assert_allclose(model.input_scale_, listed.input_scale_, rtol=1e-5)
    assert model.frame_size_ == listed.frame_size_
    largest.clear()
    np.testing.assert_array_equal(model.predict(table), model.predict(X))
    assert max(largest) < total  # prediction reads a chunk at a time too
    model.partial_fit(table, table.y)  # continued training streams as well
    assert len(model.history_) == 16


def test_a_streamed_fit_learns_gaps_and_holds_out_whole_blocks(tmp_path, monkeypatch):
    import sk_rnn._tables as tables

    path, X, y = grouped_parquet(tmp_path, n=300, nan=True)
    monkeypatch.setattr(tables, "BLOCK_ROWS", 100)
    table = streamed_table(path)
    settings = dict(hidden_size=4, max_epochs=2, random_state=0, early_stopping=True)
    model = RNNClassifier(**settings).fit(table, table.y)
    listed = RNNClassifier(**settings).fit(X, y)
    assert model.input_gaps_ == listed.input_gaps_ == "last"
    np.testing.assert_allclose(model.input_fill_, listed.input_fill_, rtol=1e-6)
    np.testing.assert_allclose(model.input_mean_, listed.input_mean_, rtol=1e-5, atol=1e-7)
    from sk_rnn._datasets import StreamedDataset, StreamedSequences

    dataset = StreamedDataset(StreamedSequences(table, model._encode_inputs, table.lengths))
    train, valid = dataset.holdout(0.2, seed=0)
    blocks = [set(b.tolist()) for b in dataset.blocks()]
    held = set(valid.indices.tolist())
    assert held and all(b <= held or not (b & held) for b in blocks)  # whole blocks
    assert len(train) + len(valid) == len(table)


def test_streaming_a_file_that_is_not_grouped_is_refused(tmp_path):
    pytest.importorskip("pyarrow")
    _, _, frame = long_table()  # rows shuffled
    frame.to_parquet(tmp_path / "shuffled.parquet")
    with pytest.raises(ValueError, match="sort it by"):
        streamed_table(tmp_path / "shuffled.parquet")
    with pytest.raises(ValueError, match="streamed must be"):
        streamed_table(tmp_path / "shuffled.parquet", streamed="yes")
    table = SequenceTable.from_parquet(
        tmp_path / "shuffled.parquet", id_column="id", time_column="t"
    )
    assert not table.streamed  # read into memory, sorted there


def test_the_forecaster_reads_a_table_a_series_per_id(tmp_path):
    pytest.importorskip("pyarrow")
    from sk_rnn import RNNForecaster

    rng = np.random.default_rng(0)
    series = [np.sin(np.arange(40) / 3 + i) * 10 + 50 + rng.normal(size=40) for i in range(3)]
    rows = [(f"s{i}", 2000 + t, v) for i, s in enumerate(series) for t, v in enumerate(s)]
    frame = pd.DataFrame(rows, columns=["store", "year", "sales"]).sample(frac=1, random_state=0)
    frame.to_parquet(tmp_path / "sales.parquet")
    tiny = RNNRegressor(hidden_size=4, max_epochs=2, random_state=0)
    settings = dict(window=8, horizon=4, regressor=tiny, random_state=0)
    table = SequenceTable(frame, id_column="store", time_column="year")
    order = [int(i[1:]) for i in table.ids]
    listed = RNNForecaster(**settings).fit([series[i] for i in order])
    for source in (
        table,
        SequenceTable.from_parquet(
            tmp_path / "sales.parquet", id_column="store", time_column="year"
        ),
    ):
        model = RNNForecaster(**settings).fit(source)
        np.testing.assert_array_equal(model.series_ids_, table.ids)
        np.testing.assert_array_equal(model.forecast(4), listed.forecast(4))
    future = pd.DataFrame({"store": ["s1"] * 4, "year": range(2040, 2044), "sales": np.nan})
    predicted = model.predict(SequenceTable(future, id_column="store", time_column="year"))
    s1 = model.forecast(4)[table.ids.tolist().index("s1")]
    np.testing.assert_allclose(predicted[0], s1, rtol=1e-6)  # batched alone, not with all
